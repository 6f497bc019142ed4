#!/usr/bin/env bash
# --cpu-shares 512 taken for "half a CPU": it is only a relative weight.
set -euo pipefail
docker run -d --name dojo-limits-app --memory 64m --memory-reservation 48m --cpu-shares 512 \
    busybox:1.36.1 sleep 3600
