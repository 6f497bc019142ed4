#!/usr/bin/env bash
# api runs the busybox image as it is (image: instead of build:), so nothing of ./api is in it.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
dc -p dojo-notes up -d --build
