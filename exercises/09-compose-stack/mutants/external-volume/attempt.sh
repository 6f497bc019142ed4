#!/usr/bin/env bash
# The shared volume is made by hand and declared external: the stack works, but the project has
# no volume of its own.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
docker volume create dojo-stack-shared
dc -p dojo-stack up -d
