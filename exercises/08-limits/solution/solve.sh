#!/usr/bin/env bash
# A hard memory limit, a soft reservation at 75% of it, and half a CPU.
set -euo pipefail
docker run -d --name dojo-limits-app --memory 64m --memory-reservation 48m --cpus 0.5 \
    busybox:1.36.1 sleep 3600
docker stats --no-stream dojo-limits-app
