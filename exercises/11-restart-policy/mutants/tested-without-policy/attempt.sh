#!/usr/bin/env bash
# No restart policy, then a test crash: the container is left exited.
set -euo pipefail
docker build -t dojo-restart-app:v1 .
docker run -d --name dojo-restart-app dojo-restart-app:v1
sleep 1
docker exec dojo-restart-app touch /tmp/crash
for _ in $(seq 50); do
  [ "$(docker inspect --format '{{.State.Running}}' dojo-restart-app)" = false ] && exit 0
  sleep 0.2
done
echo "dojo-restart-app did not crash" >&2
exit 1
