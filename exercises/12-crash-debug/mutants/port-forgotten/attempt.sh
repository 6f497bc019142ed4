#!/usr/bin/env bash
# The fix is right, but the container is recreated without -p.
set -euo pipefail
docker rm -f dojo-crash-app
docker run -d --name dojo-crash-app -e DATA_DIR=/srv/site dojo-crash-app:v1
