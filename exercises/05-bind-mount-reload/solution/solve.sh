#!/usr/bin/env bash
# Bind-mount the exercise's own site folder at /www: httpd serves the files you edit.
set -euo pipefail
docker run -d --name dojo-reload-web -p 18050:8080 -v "$PWD/site:/www" \
    busybox:1.36.1 httpd -f -p 8080 -h /www
