#!/usr/bin/env bash
# One image, configured per container at run time with -e (options go BEFORE the image name).
set -euo pipefail
docker build -t dojo-env-app:v1 .
docker run -d --name dojo-env-web -p 18010:8080 \
    -e GREETING="Welcome to the dojo" -e COLOR=teal \
    dojo-env-app:v1
