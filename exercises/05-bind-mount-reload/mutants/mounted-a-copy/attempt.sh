#!/usr/bin/env bash
# A backup copy of the folder (also called site) is mounted, not the one being edited.
set -euo pipefail
mkdir -p backup
cp -r site backup/site
docker run -d --name dojo-reload-web -p 18050:8080 -v "$PWD/backup/site:/www" \
    busybox:1.36.1 httpd -f -p 8080 -h /www
