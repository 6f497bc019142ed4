#!/usr/bin/env bash
# Start the client on the default network and connect it to the app network afterwards; the api
# joins with --net= and serves from another folder.
set -euo pipefail
docker network create --driver bridge dojo-net-app
docker run -d --name dojo-net-api --net=dojo-net-app busybox:1.36.1 \
    sh -c 'mkdir -p /srv && echo "hello from dojo-net-api" > /srv/index.html && httpd -f -p 0.0.0.0:8080 -h /srv'
docker run -d --name dojo-net-client busybox:1.36.1 sleep 3600
docker network connect dojo-net-app dojo-net-client
docker exec dojo-net-client wget -qO- http://dojo-net-api:8080/
