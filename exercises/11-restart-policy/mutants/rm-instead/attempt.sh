#!/usr/bin/env bash
# --rm instead of a restart policy, then a test crash: the container is deleted when its process
# exits, so there is nothing left to restart.
set -euo pipefail
docker build -t dojo-restart-app:v1 .
docker run -d --rm --name dojo-restart-app dojo-restart-app:v1
sleep 1
docker exec dojo-restart-app touch /tmp/crash
for _ in $(seq 50); do
  docker inspect dojo-restart-app >/dev/null 2>&1 || exit 0
  sleep 0.2
done
echo "dojo-restart-app was not removed after its crash" >&2
exit 1
