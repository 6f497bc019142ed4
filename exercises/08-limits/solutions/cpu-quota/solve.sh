#!/usr/bin/env bash
# The same limits in other spellings: -m for the memory cap, and half a CPU as a CFS quota of
# 50 ms in every 100 ms period (what --cpus 0.5 sets up underneath).
set -euo pipefail
docker run -d --name dojo-limits-app -m 64m --memory-reservation 48m \
    --cpu-period 100000 --cpu-quota 50000 busybox:1.36.1 sleep 3600
