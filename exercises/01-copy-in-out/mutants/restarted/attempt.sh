#!/usr/bin/env bash
# Copies the settings in correctly, then restarts the container "to be sure", which the task forbids.
set -euo pipefail
docker cp dojo-copy:/etc/app/app.conf ./app.conf
sed -i 's/^mode=.*/mode=maintenance/' app.conf
docker cp app.conf dojo-copy:/etc/app/app.conf
docker restart dojo-copy
