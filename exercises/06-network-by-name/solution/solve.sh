#!/usr/bin/env bash
# A user-defined network, and both containers on it: they find each other by name.
set -euo pipefail
docker network create dojo-net-app
docker run -d --name dojo-net-api --network dojo-net-app busybox:1.36.1 \
    sh -c 'echo "hello from dojo-net-api" > /tmp/index.html && exec httpd -f -p 8080 -h /tmp'
docker run -d --name dojo-net-client --network dojo-net-app busybox:1.36.1 sleep 3600
docker exec dojo-net-client wget -qO- http://dojo-net-api:8080/
