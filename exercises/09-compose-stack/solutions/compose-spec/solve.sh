#!/usr/bin/env bash
# Bring the stack up under the project name dojo-stack (Compose v2 or v1, whichever is installed).
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
dc -p dojo-stack up -d
