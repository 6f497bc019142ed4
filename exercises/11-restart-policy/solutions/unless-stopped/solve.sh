#!/usr/bin/env bash
# unless-stopped: restarted after any exit, until someone stops it.
set -euo pipefail
docker build -t dojo-restart-app:v1 .
docker run -d --restart unless-stopped --name dojo-restart-app dojo-restart-app:v1
