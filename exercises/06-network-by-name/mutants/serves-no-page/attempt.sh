#!/usr/bin/env bash
# Both on the network and the API listens on 8080, but it serves an empty folder: every request
# gets 404 Not Found.
set -euo pipefail
docker network create dojo-net-app
docker run -d --name dojo-net-api --network dojo-net-app busybox:1.36.1 \
    sh -c 'mkdir -p /srv/empty && exec httpd -f -p 8080 -h /srv/empty'
docker run -d --name dojo-net-client --network dojo-net-app busybox:1.36.1 sleep 3600
