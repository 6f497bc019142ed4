#!/usr/bin/env bash
# The API publishes 8080 on host port 18060 (for people on the host), and the client was
# configured with that host port to reach it from another container: it never gets through.
set -euo pipefail
docker rm -f dojo-peer-client dojo-peer-api >/dev/null 2>&1 || true
docker network rm dojo-peer-net >/dev/null 2>&1 || true
docker network create dojo-peer-net >/dev/null
docker run -d --name dojo-peer-api --network dojo-peer-net -p 18060:8080 busybox:1.36.1 \
    sh -c 'echo "pong from dojo-peer-api" > /tmp/index.html && exec httpd -f -p 8080 -h /tmp' >/dev/null
docker run -d --name dojo-peer-client --network dojo-peer-net \
    -e API_URL="http://dojo-peer-api:18060/" \
    busybox:1.36.1 sh -c '
        trap "exit 0" TERM
        while true; do
            if body=$(timeout 3 wget -q -O- "$API_URL" 2>&1); then
                echo "ok: $API_URL answered: $body"
            else
                echo "error: cannot reach $API_URL (${body:-no answer})"
            fi
            sleep 2
        done' >/dev/null
echo "dojo-peer-api and dojo-peer-client are running on dojo-peer-net. See: docker logs dojo-peer-client"
