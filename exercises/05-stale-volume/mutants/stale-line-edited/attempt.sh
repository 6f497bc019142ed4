#!/usr/bin/env bash
# Yesterday's line edited by hand to look harmless instead of the volume emptied: the test then
# passes, but the volume still holds data no run of the test wrote.
set -euo pipefail
docker run --rm -v dojo-stale-data:/data busybox:1.36.1 \
    sed -i 's/^counter=41.*/counter=0/' /data/state.txt
./run-test.sh
