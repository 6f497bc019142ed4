#!/usr/bin/env bash
# Runs the nightly job as the container dojo-oom-job and waits for it to finish.
# The job loads about 30 MB of data into memory, then reports "job done".
set -euo pipefail

# The job peaks around 60 MB: 96 MiB of memory, and no swap on top of it.
MEMORY=96MiB

docker rm -f dojo-oom-job >/dev/null 2>&1 || true
docker run --name=dojo-oom-job --memory="$MEMORY" --memory-swap="$MEMORY" busybox:1.36.1 sh -c '
    echo "job: loading 30 MB of data"
    data=$(head -c 30000000 /dev/zero | tr "\0" a)
    echo "job: loaded ${#data} bytes"
    echo "job done"'
