#!/usr/bin/env bash
# A hard memory limit, a soft reservation at 75% of it, and half a CPU.
set -euo pipefail
docker run -d --name dojo-limits-app --memory 64m --memory-reservation 48m --cpus 0.5 \
    busybox:1.36.1 sleep 3600
# See the limit in use. (Only a look: Podman's API can be too slow for the CLI's stats timeout
# on a busy machine, which is no fault of the limits.)
docker stats --no-stream dojo-limits-app || echo "docker stats did not answer in time"
