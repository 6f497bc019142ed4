#!/usr/bin/env bash
# The volume is mounted at /data, but the note is written to /notes, outside the volume.
set -euo pipefail
docker run --name dojo-notes -v dojo-notes-data:/data busybox:1.36.1 \
    sh -c 'mkdir -p /notes && echo "water the plants" > /notes/todo.txt'
docker rm dojo-notes
