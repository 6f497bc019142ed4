#!/usr/bin/env bash
# Hard limits are right, the soft memory reservation is missing.
set -euo pipefail
docker run -d --name dojo-limits-app --memory 64m --cpus 0.5 busybox:1.36.1 sleep 3600
