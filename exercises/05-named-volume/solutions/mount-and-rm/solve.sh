#!/usr/bin/env bash
# Create the volume first, mount it with --mount, and let --rm remove the container when it exits.
set -euo pipefail
docker volume create dojo-notes-data
docker run --rm --name dojo-notes --mount type=volume,source=dojo-notes-data,target=/notes \
    busybox:1.36.1 sh -c 'echo "water the plants" >> /notes/todo.txt'
docker run --rm --mount source=dojo-notes-data,target=/notes,readonly busybox:1.36.1 \
    cat /notes/todo.txt
