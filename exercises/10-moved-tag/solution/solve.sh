#!/usr/bin/env bash
# Pin the base by yesterday's digest: the tag may move, the digest names one image forever.
set -euo pipefail
digest=$(cat base-digest.txt)
sed -i.bak "s|^FROM .*|FROM 127.0.0.1:18100/dojo-base:3.12-slim@${digest}|" Dockerfile
rm -f Dockerfile.bak
docker build --pull -t dojo-moved-app .
docker run --rm dojo-moved-app
