#!/usr/bin/env bash
# The site is baked into an image with COPY: it serves, but edits need a rebuild.
set -euo pipefail
docker build -t dojo-reload-web:baked .
docker run -d --name dojo-reload-web -p 18050:8080 dojo-reload-web:baked
