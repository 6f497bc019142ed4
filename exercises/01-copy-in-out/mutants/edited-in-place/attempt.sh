#!/usr/bin/env bash
# Edits the file inside the container and keeps no copy on the host.
set -euo pipefail
docker exec dojo-copy sed -i 's/^mode=.*/mode=maintenance/' /etc/app/app.conf
