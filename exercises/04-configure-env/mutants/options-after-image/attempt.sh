#!/usr/bin/env bash
# -e comes after the image name, so Docker takes "-e" as the command to run in the container.
# docker run fails (exit 127) and leaves the container in the "created" state.
set -euo pipefail
docker build -t dojo-env-app:v1 .
docker run -d --name dojo-env-web -p 18010:8080 dojo-env-app:v1 \
    -e GREETING="Welcome to the dojo" -e COLOR=teal || true
