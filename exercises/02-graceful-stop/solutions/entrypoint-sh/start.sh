#!/bin/sh
# start.sh: prepares the worker's scratch space, then runs the worker.
echo "start: preparing /tmp/jobs"
mkdir -p /tmp/jobs
exec /app/worker.sh
