#!/usr/bin/env bash
# Write the note through a named volume, then remove the container: the volume keeps the data.
set -euo pipefail
docker run --name dojo-notes -v dojo-notes-data:/notes busybox:1.36.1 \
    sh -c 'echo "water the plants" > /notes/todo.txt'
docker rm dojo-notes
docker run --rm -v dojo-notes-data:/notes busybox:1.36.1 cat /notes/todo.txt
