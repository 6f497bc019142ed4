#!/usr/bin/env bash
# The note is written through the volume, then dojo-notes is renamed instead of removed.
set -euo pipefail
docker run --name dojo-notes -v dojo-notes-data:/notes busybox:1.36.1 \
    sh -c 'echo "water the plants" > /notes/todo.txt'
docker rename dojo-notes dojo-notes-old
