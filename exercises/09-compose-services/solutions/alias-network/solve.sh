#!/usr/bin/env bash
# Build and bring up the project dojo-notes (Compose v2 or v1, whichever is installed).
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
dc -p dojo-notes up -d --build
