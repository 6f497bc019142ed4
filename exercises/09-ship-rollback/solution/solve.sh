#!/usr/bin/env bash
# Ship 2.0 through the registry, see it fail, and roll back to the 1.0 the registry still holds.
set -euo pipefail
REG=127.0.0.1:18095
docker build -t $REG/dojo-ship-app:2.0 .
docker push $REG/dojo-ship-app:2.0
docker run -d --name dojo-ship-web -p 18096:8080 $REG/dojo-ship-app:2.0
sleep 1
wget -q -O- http://127.0.0.1:18096/ || echo "2.0 does not serve its home page: roll back"
docker rm -f dojo-ship-web
docker run -d --name dojo-ship-web -p 18096:8080 $REG/dojo-ship-app:1.0
