#!/usr/bin/env bash
# Create, start and run one container; it prints its message and exits, and stays listed.
set -euo pipefail
docker run --name dojo-first-hello busybox:1.36.1 echo "Hello from my first container"
docker ps -a --filter name=dojo-first-hello
docker logs dojo-first-hello
