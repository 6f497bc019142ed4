#!/usr/bin/env bash
# Starts the same container again without changing anything: it crashes the same way.
set -euo pipefail
echo "Exit code 1, because DATA_DIR is not set." >ANSWER.md
docker start dojo-crash-app
sleep 1
