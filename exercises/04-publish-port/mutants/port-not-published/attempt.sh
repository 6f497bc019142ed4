#!/usr/bin/env bash
# EXPOSE in the Dockerfile is taken for publishing: no -p, so nothing on the host reaches the app.
set -euo pipefail
docker build -t dojo-web:v1 .
docker run -d --name dojo-web dojo-web:v1
