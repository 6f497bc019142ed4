#!/usr/bin/env bash
# The URL is fixed, but the client is re-run without --network: it lands on the default bridge.
set -euo pipefail
./start-client.sh
