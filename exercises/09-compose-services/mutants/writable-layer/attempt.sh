#!/usr/bin/env bash
# The volume data is declared and mounted on api, but at /var/notes: the api writes /data in its own writable layer.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
dc -p dojo-notes up -d --build
