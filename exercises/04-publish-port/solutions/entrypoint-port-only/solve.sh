#!/usr/bin/env bash
# Build the fixed image and publish with the long form of -p.
set -euo pipefail
docker build -t dojo-web:v1 .
docker run -d --name dojo-web --publish published=18040,target=8080 dojo-web:v1
