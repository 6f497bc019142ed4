#!/usr/bin/env bash
# The values baked into the image's ENV and the container run from that build; then the
# Dockerfile put back and the image built again under the same tag. The image the tag names now
# has only the defaults, but the container still runs the build with the values baked in.
set -euo pipefail
cp Dockerfile Dockerfile.orig
sed -i 's/^ENV GREETING="Hello" COLOR="gray"$/ENV GREETING="Welcome to the dojo" COLOR="teal"/' Dockerfile
grep -q '^ENV GREETING="Welcome to the dojo"' Dockerfile
docker build -t dojo-env-app:v1 .
docker run -d --name dojo-env-web -p 18010:8080 dojo-env-app:v1
mv Dockerfile.orig Dockerfile
docker build -t dojo-env-app:v1 .
