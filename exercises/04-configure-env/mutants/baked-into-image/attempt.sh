#!/usr/bin/env bash
# The values are baked into the image's ENV instead of given to the container:
# every container from this image now gets them, and changing them means a rebuild.
set -euo pipefail
docker build -t dojo-env-app:v1 .
docker run -d --name dojo-env-web -p 18010:8080 dojo-env-app:v1
