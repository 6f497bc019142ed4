#!/usr/bin/env bash
# The stack is right, but web has no mem_limit and no cpus: it may take the whole host.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
dc -p dojo-stack up -d
