#!/usr/bin/env bash
# Starts (or restarts) the client service dojo-peer-client on the network dojo-peer-net.
# Every 2 seconds it fetches API_URL and logs the answer: `docker logs -f dojo-peer-client`.
set -euo pipefail

# Between containers, use the name and the CONTAINER port; 18060 exists only on the host.
API_URL="http://dojo-peer-api:8080"

docker rm -f dojo-peer-client >/dev/null 2>&1 || true
docker run -d --name dojo-peer-client --network dojo-peer-net \
    -e API_URL="$API_URL" \
    busybox:1.36.1 sh -c '
        trap "exit 0" TERM
        while true; do
            if body=$(timeout 3 wget -q -O- "$API_URL" 2>&1); then
                echo "ok: $API_URL answered: $body"
            else
                echo "error: cannot reach $API_URL (${body:-no answer})"
            fi
            sleep 2
        done'
