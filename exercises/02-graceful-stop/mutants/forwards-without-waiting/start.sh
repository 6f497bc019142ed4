#!/bin/sh
# start.sh: prepares the worker's scratch space, then runs the worker.
# Passes SIGTERM on to the worker, but then PID 1's script ends without waiting for the worker:
# the kernel kills the worker mid-job the moment PID 1 exits.
echo "start: preparing /tmp/jobs"
mkdir -p /tmp/jobs
/app/worker.sh &
pid=$!
trap 'kill -TERM $pid' TERM
wait $pid
