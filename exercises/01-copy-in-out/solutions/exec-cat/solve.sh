#!/usr/bin/env bash
# No docker cp: a process inside the container reads and writes the file, the host shell redirects.
set -euo pipefail
docker exec dojo-copy cat /etc/app/app.conf >app.conf
sed -i 's/^mode=.*/mode=maintenance/' app.conf
docker exec -i dojo-copy sh -c 'cat > /etc/app/app.conf' <app.conf
