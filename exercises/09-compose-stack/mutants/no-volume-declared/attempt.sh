#!/usr/bin/env bash
# Each service mounts a bare path (an anonymous volume of its own): no named volume, nothing shared.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
dc -p dojo-stack up -d
