#!/usr/bin/env bash
# 2.0 is built and tried from the local image only; it never reaches the registry. Then 1.0 runs.
set -euo pipefail
REG=127.0.0.1:18095
docker build -t $REG/dojo-ship-app:2.0 .
docker run -d --name dojo-ship-web -p 18096:8080 $REG/dojo-ship-app:2.0
docker rm -f dojo-ship-web
docker run -d --name dojo-ship-web -p 18096:8080 $REG/dojo-ship-app:1.0
