#!/usr/bin/env bash
# The client is started without a command: busybox's default `sh` exits at once, so it is
# attached to nothing by the time anyone looks.
set -euo pipefail
docker network create dojo-net-app
docker run -d --name dojo-net-api --network dojo-net-app busybox:1.36.1 \
    sh -c 'echo "hello from dojo-net-api" > /tmp/index.html && exec httpd -f -p 8080 -h /tmp'
docker run -d --name dojo-net-client --network dojo-net-app busybox:1.36.1
sleep 1
