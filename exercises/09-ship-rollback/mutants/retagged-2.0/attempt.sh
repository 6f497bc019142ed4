#!/usr/bin/env bash
# Ships 2.0, then "rolls back" by tagging the 2.0 image as 1.0 locally: the name says 1.0, the
# content is still the broken 2.0.
set -euo pipefail
REG=127.0.0.1:18095
docker build -t $REG/dojo-ship-app:2.0 .
docker push $REG/dojo-ship-app:2.0
docker tag $REG/dojo-ship-app:2.0 $REG/dojo-ship-app:1.0
docker run -d --name dojo-ship-web -p 18096:8080 $REG/dojo-ship-app:1.0
