#!/usr/bin/env bash
# The right diagnosis and a memory limit the job would fit in, but the container runs only the
# job's last line: it says "job done" without loading any data.
set -euo pipefail
echo "Exit code 137: it was OOMKilled, over its 16 MB memory limit." >ANSWER.md
docker rm -f dojo-oom-job >/dev/null 2>&1 || true
docker run --name dojo-oom-job --memory 96m busybox:1.36.1 echo "job done"
