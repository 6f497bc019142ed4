#!/usr/bin/env bash
# Starts the same container again without changing anything: it crashes the same way.
set -euo pipefail
docker start dojo-crash-app
sleep 1
