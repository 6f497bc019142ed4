#!/usr/bin/env bash
# web serves a page it wrote itself at start and mounts no volume: the page never changes.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
dc -p dojo-stack up -d
