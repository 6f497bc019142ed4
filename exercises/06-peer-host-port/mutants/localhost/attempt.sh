#!/usr/bin/env bash
# The client calls localhost:8080, which inside the client container is the client itself.
set -euo pipefail
./start-client.sh
