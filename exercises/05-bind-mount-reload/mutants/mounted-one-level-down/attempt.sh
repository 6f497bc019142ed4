#!/usr/bin/env bash
# The folder is mounted at /www/site, one level below what httpd serves: / answers 404.
set -euo pipefail
docker run -d --name dojo-reload-web -p 18050:8080 -v "$PWD/site:/www/site" \
    busybox:1.36.1 httpd -f -p 8080 -h /www
