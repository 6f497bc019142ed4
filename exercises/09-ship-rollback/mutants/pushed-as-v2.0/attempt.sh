#!/usr/bin/env bash
# Release 2.0 pushed under the tag v2.0, which is another tag: the registry has no 2.0, and the
# rollback that follows looks right.
set -euo pipefail
REG=127.0.0.1:18095
docker build -t $REG/dojo-ship-app:v2.0 .
docker push $REG/dojo-ship-app:v2.0
docker run -d --name dojo-ship-web -p 18096:8080 $REG/dojo-ship-app:1.0
