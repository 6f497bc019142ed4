#!/usr/bin/env bash
# DATA_DIR is set, but to /srv, the folder above the site: the app starts and serves nothing.
set -euo pipefail
echo "Exit code 1, because DATA_DIR is not set." >ANSWER.md
docker rm -f dojo-crash-app
docker run -d --name dojo-crash-app -p 18130:8080 -e DATA_DIR=/srv dojo-crash-app:v1
