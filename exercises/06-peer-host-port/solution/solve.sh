#!/usr/bin/env bash
# start-client.sh now points at the container port (8080); restart the client with it.
set -euo pipefail
./start-client.sh
sleep 1
docker logs dojo-peer-client
