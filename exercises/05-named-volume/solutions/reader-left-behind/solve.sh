#!/usr/bin/env bash
# Write the note, remove the writer, then read it back from a new container that is kept (no
# --rm): it came after the note, so it is not the container that had to go.
set -euo pipefail
docker run --name dojo-notes -v dojo-notes-data:/notes busybox:1.36.1 \
    sh -c 'echo "water the plants" > /notes/todo.txt'
docker rm dojo-notes
docker run --name dojo-notes-reader -v dojo-notes-data:/notes busybox:1.36.1 cat /notes/todo.txt
