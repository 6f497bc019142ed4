#!/usr/bin/env bash
# No limits at all: the container may take every byte and every CPU of the host.
set -euo pipefail
docker run -d --name dojo-limits-app busybox:1.36.1 sleep 3600
