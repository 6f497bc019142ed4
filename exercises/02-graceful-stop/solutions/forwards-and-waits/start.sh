#!/bin/sh
# start.sh: prepares the worker's scratch space, then runs the worker.
# The shell stays PID 1 and passes SIGTERM on to the worker, then waits for it to finish:
# PID 1 must outlive the worker, or the kernel kills the worker the moment PID 1 exits.
echo "start: preparing /tmp/jobs"
mkdir -p /tmp/jobs
/app/worker.sh &
pid=$!
trap 'kill -TERM "$pid"; wait "$pid"' TERM
wait "$pid"
