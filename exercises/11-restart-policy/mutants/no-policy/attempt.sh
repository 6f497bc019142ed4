#!/usr/bin/env bash
# Runs the container without a restart policy: the default is `no`.
set -euo pipefail
docker build -t dojo-restart-app:v1 .
docker run -d --name dojo-restart-app dojo-restart-app:v1
