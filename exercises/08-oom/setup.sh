#!/usr/bin/env bash
# Last night's run of the job: 16 MB of memory for a job that needs about 60 MB.
set -euo pipefail
docker rm -f dojo-oom-job >/dev/null 2>&1 || true
docker run --name dojo-oom-job --memory 16m busybox:1.36.1 sh -c '
    echo "job: loading 30 MB of data"
    data=$(head -c 30000000 /dev/zero | tr "\0" a)
    echo "job: loaded ${#data} bytes"
    echo "job done"' >/dev/null 2>&1 || true
echo "The job dojo-oom-job has run (and stopped). Find out how it ended: docker ps -a --filter name=dojo-oom-job"
