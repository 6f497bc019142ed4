#!/usr/bin/env bash
# Runs the nightly job as the container dojo-oom-job and waits for it to finish.
# The job loads about 30 MB of data into memory, then reports "job done".
set -euo pipefail

# The job peaks around 60 MB (30 MB of data, plus the room the shell needs while reading it).
MEMORY=96m

docker rm -f dojo-oom-job >/dev/null 2>&1 || true
docker run --name dojo-oom-job --memory "$MEMORY" busybox:1.36.1 sh -c '
    echo "job: loading 30 MB of data"
    data=$(head -c 30000000 /dev/zero | tr "\0" a)
    echo "job: loaded ${#data} bytes"
    echo "job done"'
