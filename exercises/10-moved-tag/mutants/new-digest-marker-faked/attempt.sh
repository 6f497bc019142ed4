#!/usr/bin/env bash
# Pins by today's digest (the broken base) and then fakes the version file the app reads, so
# the app's own check passes on the wrong base.
set -euo pipefail
BASE=127.0.0.1:18100/dojo-base
docker pull "$BASE:3.12-slim"
today=$(docker inspect --format '{{index .RepoDigests 0}}' "$BASE:3.12-slim")
sed -i.bak "s|^FROM .*|FROM $BASE:3.12-slim@${today#*@}\nRUN echo 1 > /etc/libssl-version|" Dockerfile
rm -f Dockerfile.bak
grep -q '^RUN echo 1 > /etc/libssl-version' Dockerfile
