#!/usr/bin/env bash
# Leave yesterday's state behind in the named volume dojo-stale-data, as an earlier run would.
set -euo pipefail
docker rm -f dojo-stale-test >/dev/null 2>&1 || true
docker volume rm dojo-stale-data >/dev/null 2>&1 || true
docker volume create dojo-stale-data >/dev/null
docker run --rm -v dojo-stale-data:/data busybox:1.36.1 \
    sh -c "echo \"counter=41 from yesterday's run\" > /data/state.txt"
echo "The volume dojo-stale-data is ready (with some history in it). Now run ./run-test.sh"
