#!/usr/bin/env bash
# API_URL names the api by its service name but with web's published host port, 18091.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
dc -p dojo-notes up -d --build
