#!/usr/bin/env bash
# Integration test for the visit counter.
#
# The app keeps its state in the named volume dojo-stale-data (file state.txt): each visit appends
# a line "counter=N …". The test starts the app for one visit and expects a fresh start to count
# that first visit as 1.
set -uo pipefail

docker rm -f dojo-stale-test >/dev/null 2>&1 || true
docker run --name dojo-stale-test -v dojo-stale-data:/data busybox:1.36.1 sh -c '
    # --- the app: one visit ---
    last=$(tail -n 1 /data/state.txt 2>/dev/null | sed -n "s/^counter=\([0-9]*\).*/\1/p")
    n=$(( ${last:-0} + 1 ))
    echo "counter=$n written by run-test.sh" >> /data/state.txt
    # --- the test ---
    if [ "$n" = 1 ]; then
        echo "PASS: the first visit was counted as 1"
    else
        echo "FAIL: expected counter=1 after a fresh start, got counter=$n"
        echo "--- state.txt in the volume ---"
        cat /data/state.txt
        exit 1
    fi
'
status=$?
if [ "$status" -eq 0 ]; then
    echo "run-test.sh: test passed"
else
    echo "run-test.sh: test FAILED (exit $status)"
fi
exit "$status"
