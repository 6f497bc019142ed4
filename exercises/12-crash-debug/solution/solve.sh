#!/usr/bin/env bash
# Diagnose, then recreate the container with the setting it was missing.
set -euo pipefail
docker ps -a --filter name=dojo-crash-app
docker inspect --format '{{.State.Status}} exit code {{.State.ExitCode}}' dojo-crash-app
docker logs --tail 5 dojo-crash-app              # "DATA_DIR is not set…"
docker run --rm dojo-crash-app:v1 find / -xdev -name index.html   # /srv/site/index.html
# Say why before fixing (what `dockdojo answer 12-crash-debug "…"` writes).
echo "It exited with code 1: the start script stops because DATA_DIR is not set." >ANSWER.md
# A container's environment is fixed when it is created: replace it.
docker rm dojo-crash-app
docker run -d --name dojo-crash-app -p 18130:8080 -e DATA_DIR=/srv/site dojo-crash-app:v1
