#!/usr/bin/env bash
# on-failure:1, crashed once by hand as the task suggests, and brought back: its one restart is
# used up before the check. That restart is Docker's answer to the failure; the check does not
# crash it again (it would stay down) and says so.
set -euo pipefail
docker build -t dojo-restart-app:v1 .
docker run -d --name dojo-restart-app --restart on-failure:1 dojo-restart-app:v1
for _ in $(seq 50); do
  docker logs dojo-restart-app 2>&1 | grep -q 'worker: started' && break
  sleep 0.2
done
docker exec dojo-restart-app touch /tmp/crash
for _ in $(seq 100); do
  [ "$(docker inspect --format '{{.RestartCount}} {{.State.Running}}' dojo-restart-app)" = "1 true" ] && exit 0
  sleep 0.2
done
echo "dojo-restart-app was not restarted after the crash" >&2
exit 1
