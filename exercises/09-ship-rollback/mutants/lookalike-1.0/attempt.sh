#!/usr/bin/env bash
# Ships 2.0, then rebuilds a look-alike 1.0 from edited source under the registry's own name
# (without pushing it): the name matches the release, the image is not the one the registry holds.
set -euo pipefail
REG=127.0.0.1:18095
docker build -t $REG/dojo-ship-app:2.0 .
docker push $REG/dojo-ship-app:2.0
rm -f www/home.html
printf '<h1>dojo-ship-app version 1.0</h1>\n' > www/index.html
docker build -t $REG/dojo-ship-app:1.0 .
docker run -d --name dojo-ship-web -p 18096:8080 $REG/dojo-ship-app:1.0
