#!/usr/bin/env bash
# The network is created, but both containers start without --network: they land on the default
# bridge, which has no name resolution.
set -euo pipefail
docker network create dojo-net-app
docker run -d --name dojo-net-api busybox:1.36.1 \
    sh -c 'echo "hello from dojo-net-api" > /tmp/index.html && exec httpd -f -p 8080 -h /tmp'
docker run -d --name dojo-net-client busybox:1.36.1 sleep 3600
