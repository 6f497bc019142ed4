#!/usr/bin/env bash
# Ships 2.0, then "rolls back" by editing the source back to 1.0 and rebuilding it under a local
# tag, instead of running the 1.0 image the registry holds.
set -euo pipefail
REG=127.0.0.1:18095
docker build -t $REG/dojo-ship-app:2.0 .
docker push $REG/dojo-ship-app:2.0
rm www/home.html
docker build -t dojo-ship-app:1.0 .
docker run -d --name dojo-ship-web -p 18096:8080 dojo-ship-app:1.0
