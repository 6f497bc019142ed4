#!/usr/bin/env bash
# See the test fail, remove the stale volume (and the stopped test container that still uses it),
# then run the test again on a fresh volume.
set -euo pipefail
./run-test.sh || true
docker rm dojo-stale-test
docker volume rm dojo-stale-data
./run-test.sh
