#!/usr/bin/env bash
# No volume: the note goes into the container's writable layer and is deleted with it.
set -euo pipefail
docker run --name dojo-notes busybox:1.36.1 \
    sh -c 'mkdir -p /notes && echo "water the plants" > /notes/todo.txt'
docker rm dojo-notes
