#!/usr/bin/env bash
# /data is a bind-mounted folder (./notes-data): the notes outlive down and up, but not in the named volume data, mounted where nothing is kept.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
dc -p dojo-notes up -d --build
