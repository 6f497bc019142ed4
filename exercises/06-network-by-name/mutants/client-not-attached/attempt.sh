#!/usr/bin/env bash
# The API is on the network, the client was started without --network.
set -euo pipefail
docker network create dojo-net-app
docker run -d --name dojo-net-api --network dojo-net-app busybox:1.36.1 \
    sh -c 'echo "hello from dojo-net-api" > /tmp/index.html && exec httpd -f -p 8080 -h /tmp'
docker run -d --name dojo-net-client busybox:1.36.1 sleep 3600
