#!/usr/bin/env bash
# Bring the reviewed stack up under the project name dojo-capstone (Compose v2 or v1).
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
dc -p dojo-capstone up -d --build
