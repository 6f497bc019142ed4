#!/usr/bin/env bash
# --rm deletes the container as soon as it exits: nothing is left to look at.
set -euo pipefail
docker run --rm --name dojo-first-hello busybox:1.36.1 echo "Hello from my first container"
