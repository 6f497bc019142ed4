#!/bin/sh
# start.sh: prepares the worker's scratch space, then runs the worker.
echo "start: preparing /tmp/jobs"
mkdir -p /tmp/jobs
# exec: the worker replaces this shell and becomes PID 1, so `docker stop`'s SIGTERM reaches it.
exec /app/worker.sh
