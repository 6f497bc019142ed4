#!/usr/bin/env bash
# The API's URL without a trailing slash: the same host, port and path to the client.
set -euo pipefail
./start-client.sh
sleep 1
docker logs dojo-peer-client
