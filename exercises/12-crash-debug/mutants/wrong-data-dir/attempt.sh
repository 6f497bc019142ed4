#!/usr/bin/env bash
# DATA_DIR is set, but to /srv, the folder above the site: the app starts and serves nothing.
set -euo pipefail
docker rm -f dojo-crash-app
docker run -d --name dojo-crash-app -p 18130:8080 -e DATA_DIR=/srv dojo-crash-app:v1
