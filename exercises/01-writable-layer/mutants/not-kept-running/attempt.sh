#!/usr/bin/env bash
# The containers write the file at start and then exit: nothing keeps them running.
set -euo pipefail
docker run --name dojo-layer-a busybox:1.36.1 sh -c 'echo "hello from a" > /hello.txt'
docker run --name dojo-layer-b busybox:1.36.1 true
