#!/usr/bin/env bash
# Ships 2.0 and leaves it running: no rollback.
set -euo pipefail
REG=127.0.0.1:18095
docker build -t $REG/dojo-ship-app:2.0 .
docker push $REG/dojo-ship-app:2.0
docker run -d --name dojo-ship-web -p 18096:8080 $REG/dojo-ship-app:2.0
