#!/usr/bin/env bash
# web mounts a volume of its own (www) while worker writes to data: the page web serves is never written.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
dc -p dojo-stack up -d
