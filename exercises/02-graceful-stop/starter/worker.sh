#!/bin/sh
# worker.sh: works through jobs until it is asked to stop.
# On SIGTERM it finishes the job in hand, reports, and exits with code 0.
stop=no
trap 'stop=yes' TERM INT
echo "worker: started as PID $$"
n=0
while [ "$stop" = no ]; do
    n=$((n + 1))
    echo "worker: job $n"
    # Each job keeps its notes in the scratch folder start.sh prepares.
    if ! echo "job $n" >/tmp/jobs/current 2>/dev/null; then
        echo "worker: cannot write to /tmp/jobs (start.sh prepares it), giving up" >&2
        exit 1
    fi
    sleep 1 &
    wait $!
done
echo "worker: SIGTERM received, finishing job $n"
sleep 0.3   # wrapping up the job in hand
echo "worker: stopped cleanly"
exit 0
