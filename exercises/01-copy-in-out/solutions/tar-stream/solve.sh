#!/usr/bin/env bash
# `-` as either end of docker cp is a tar stream on stdout or stdin.
set -euo pipefail
docker cp dojo-copy:/etc/app/app.conf - | tar -xf -
sed -i 's/^mode=.*/mode=maintenance/' app.conf
tar -cf - app.conf | docker cp - dojo-copy:/etc/app
