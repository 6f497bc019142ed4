#!/usr/bin/env bash
# API_URL is http://localhost:8080: inside web's container, localhost is web itself.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
dc -p dojo-notes up -d --build
