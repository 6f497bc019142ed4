#!/usr/bin/env bash
# Copy the settings out, edit the copy on the host, copy it back in: the running app picks it up.
set -euo pipefail
docker cp dojo-copy:/etc/app/app.conf ./app.conf
sed -i 's/^mode=.*/mode=maintenance/' app.conf
docker cp ./app.conf dojo-copy:/etc/app/app.conf
