#!/usr/bin/env bash
# Everything works after a full up -d, but nothing says web needs api: up -d web starts web alone.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
dc -p dojo-notes up -d --build
