#!/usr/bin/env bash
# --mount spelling of the bind mount, read-only (the server never writes to the site), long flags.
set -euo pipefail
docker run --detach --name dojo-reload-web --publish 18050:8080 \
    --mount type=bind,source="$(pwd)"/site,target=/www,readonly \
    busybox:1.36.1 httpd -f -p 8080 -h /www
