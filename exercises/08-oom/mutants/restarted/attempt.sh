#!/usr/bin/env bash
# The stopped container is just started again: same container, same limit.
set -euo pipefail
docker start -a dojo-oom-job || true
