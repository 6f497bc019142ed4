#!/usr/bin/env bash
# Writes a new settings file from the task's text instead of starting from the app's own one.
set -euo pipefail
printf 'mode=maintenance\n' >app.conf
docker cp app.conf dojo-copy:/etc/app/app.conf
