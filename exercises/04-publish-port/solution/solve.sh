#!/usr/bin/env bash
# Build the fixed image (it binds 0.0.0.0) and publish host port 18040 to container port 8080.
set -euo pipefail
docker build -t dojo-web:v1 .
docker run -d --name dojo-web -p 18040:8080 dojo-web:v1
