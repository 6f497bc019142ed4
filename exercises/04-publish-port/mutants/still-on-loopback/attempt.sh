#!/usr/bin/env bash
# The starter's Dockerfile, unchanged: the app binds 127.0.0.1 inside the container.
set -euo pipefail
docker build -t dojo-web:v1 .
docker run -d --name dojo-web -p 18040:8080 dojo-web:v1
