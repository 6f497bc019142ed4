#!/usr/bin/env bash
# Edits the file inside the container, then writes the host's copy anew from the task's text:
# the app serves the change, but the folder's app.conf is another file (no instance line).
set -euo pipefail
docker exec dojo-copy sed -i 's/^mode=.*/mode=maintenance/' /etc/app/app.conf
printf 'mode=maintenance\n' >app.conf
