#!/usr/bin/env bash
# docker cp to a folder keeps the file's name: `.` on the way out, /etc/app/ on the way in.
set -euo pipefail
docker cp dojo-copy:/etc/app/app.conf .
sed -i 's/^mode=.*/mode=maintenance/' app.conf
docker cp app.conf dojo-copy:/etc/app/
