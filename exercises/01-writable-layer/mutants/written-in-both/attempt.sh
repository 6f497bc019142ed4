#!/usr/bin/env bash
# The file is written in both containers, so b's writable layer has it too.
set -euo pipefail
docker run -d --name dojo-layer-a busybox:1.36.1 sleep 3600
docker run -d --name dojo-layer-b busybox:1.36.1 sleep 3600
docker exec dojo-layer-a sh -c 'echo "hello from a" > /hello.txt'
docker exec dojo-layer-b sh -c 'echo "hello from b" > /hello.txt'
