#!/usr/bin/env bash
# Keep the volume, clear the stale state out of it with a throwaway container, and test again.
set -euo pipefail
./run-test.sh || true
docker run --rm -v dojo-stale-data:/data busybox:1.36.1 rm -f /data/state.txt
./run-test.sh
