#!/usr/bin/env bash
# Memory is limited, CPU is not.
set -euo pipefail
docker run -d --name dojo-limits-app --memory 64m --memory-reservation 48m busybox:1.36.1 sleep 3600
