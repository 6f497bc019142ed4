#!/usr/bin/env bash
# The client is restarted, but with the same host-port URL.
set -euo pipefail
./start-client.sh
