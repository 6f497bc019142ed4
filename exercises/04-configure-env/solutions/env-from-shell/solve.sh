#!/usr/bin/env bash
# `--env NAME` with no value passes the variable on from the shell that runs docker.
set -euo pipefail
docker build -t dojo-env-app:v1 .
export GREETING="Welcome to the dojo" COLOR=teal
docker run -d --name dojo-env-web -p 18010:8080 --env GREETING --env COLOR dojo-env-app:v1
