#!/usr/bin/env bash
# Copies the file out, but edits the container's file instead of the copy: the app serves the
# change, and the copy kept on the host still says mode=normal.
set -euo pipefail
docker cp dojo-copy:/etc/app/app.conf ./app.conf
docker exec dojo-copy sed -i 's/^mode=.*/mode=maintenance/' /etc/app/app.conf
