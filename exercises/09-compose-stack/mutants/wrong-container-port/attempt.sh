#!/usr/bin/env bash
# Host port 18090 goes to container port 80, but httpd listens on 8080.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then dc() { docker compose "$@"; }; else dc() { docker-compose "$@"; }; fi
dc -p dojo-stack up -d
