#!/usr/bin/env bash
# Two running containers from one image; a file written in one of them only.
set -euo pipefail
docker run -d --name dojo-layer-a busybox:1.36.1 sleep 3600
docker run -d --name dojo-layer-b busybox:1.36.1 sleep 3600
docker exec dojo-layer-a sh -c 'echo "hello from a" > /hello.txt'
docker diff dojo-layer-a
docker diff dojo-layer-b
