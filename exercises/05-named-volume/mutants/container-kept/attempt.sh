#!/usr/bin/env bash
# Everything right, except the container is never removed.
set -euo pipefail
docker run --name dojo-notes -v dojo-notes-data:/notes busybox:1.36.1 \
    sh -c 'echo "water the plants" > /notes/todo.txt'
