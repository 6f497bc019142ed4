#!/usr/bin/env bash
# GREETNG instead of GREETING: the app never reads it and falls back to the image's default.
set -euo pipefail
docker build -t dojo-env-app:v1 .
docker run -d --name dojo-env-web -p 18010:8080 \
    -e GREETNG="Welcome to the dojo" -e COLOR=teal \
    dojo-env-app:v1
