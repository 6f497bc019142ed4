#!/usr/bin/env bash
# Only the first container is started.
set -euo pipefail
docker run -d --name dojo-layer-a busybox:1.36.1 sleep 3600
docker exec dojo-layer-a sh -c 'echo "hello from a" > /hello.txt'
