#!/usr/bin/env bash
# The note is written by a container with another name, which is kept; dojo-notes never existed.
set -euo pipefail
docker run --name dojo-notes-writer -v dojo-notes-data:/notes busybox:1.36.1 \
    sh -c 'echo "water the plants" > /notes/todo.txt'
