#!/bin/sh
# A worker that runs until something goes wrong. To simulate a crash, create /tmp/crash inside
# the container: the worker notices it and exits with code 1, as a failing program would.

# /tmp lives in the container's writable layer, which survives a restart: clear a crash marker
# left by the previous run, or the worker would crash again at once.
rm -f /tmp/crash
trap 'echo "worker: stopping"; exit 0' TERM INT

echo "worker: started at $(date -u +%H:%M:%S)"
while [ ! -e /tmp/crash ]; do
  sleep 1 &
  wait $!
done
echo "worker: fatal error (found /tmp/crash), exiting with code 1" >&2
exit 1
