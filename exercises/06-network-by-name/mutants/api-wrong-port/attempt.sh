#!/usr/bin/env bash
# Both on the network, but httpd is started without -p 8080, so it listens on its default port 80.
set -euo pipefail
docker network create dojo-net-app
docker run -d --name dojo-net-api --network dojo-net-app busybox:1.36.1 \
    sh -c 'echo "hello from dojo-net-api" > /tmp/index.html && exec httpd -f -h /tmp'
docker run -d --name dojo-net-client --network dojo-net-app busybox:1.36.1 sleep 3600
