#!/usr/bin/env bash
# Roll back by digest: pull 1.0, read the digest the registry serves for it, run exactly that.
set -euo pipefail
REG=127.0.0.1:18095
docker build -t $REG/dojo-ship-app:2.0 .
docker push $REG/dojo-ship-app:2.0
docker run -d --name dojo-ship-web -p 18096:8080 $REG/dojo-ship-app:2.0
docker rm -f dojo-ship-web
docker pull $REG/dojo-ship-app:1.0
digest=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' \
    $REG/dojo-ship-app:1.0 | grep "^$REG/dojo-ship-app@" | head -n 1)
docker run -d --name dojo-ship-web --publish 18096:8080 "$digest"
