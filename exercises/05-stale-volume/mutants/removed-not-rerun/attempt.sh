#!/usr/bin/env bash
# The stale volume is removed, but the test is never run again.
set -euo pipefail
./run-test.sh || true
docker rm dojo-stale-test
docker volume rm dojo-stale-data
