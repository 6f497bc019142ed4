#!/usr/bin/env bash
# The edited copy goes to /etc/app.conf, next to the folder the app reads, not into it.
set -euo pipefail
docker cp dojo-copy:/etc/app/app.conf ./app.conf
sed -i 's/^mode=.*/mode=maintenance/' app.conf
docker cp app.conf dojo-copy:/etc/app.conf
