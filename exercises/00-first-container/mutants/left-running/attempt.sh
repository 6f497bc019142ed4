#!/usr/bin/env bash
# Started in the background with a command that never ends: the container is still running.
set -euo pipefail
docker run -d --name dojo-first-hello busybox:1.36.1 \
    sh -c 'echo "Hello from my first container"; sleep 3600'
