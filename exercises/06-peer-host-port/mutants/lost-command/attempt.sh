#!/usr/bin/env bash
# The client is recreated by hand with the right URL and network, but without its fetch loop.
set -euo pipefail
docker rm -f dojo-peer-client
docker run -d --name dojo-peer-client --network dojo-peer-net \
    -e API_URL="http://dojo-peer-api:8080/" busybox:1.36.1 sleep 3600
