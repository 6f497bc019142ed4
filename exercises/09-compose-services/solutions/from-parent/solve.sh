#!/usr/bin/env bash
# Bring the project up from the folder above, naming the file with -f (Compose v2 or v1).
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
here=$(basename "$PWD")
cd ..
dc -p dojo-notes -f "$here/compose.yaml" up -d --build
