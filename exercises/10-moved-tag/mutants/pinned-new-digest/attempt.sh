#!/usr/bin/env bash
# Pins by digest, but the digest of what the tag points to *today* (pulled just now): the broken base.
set -euo pipefail
BASE=127.0.0.1:18100/dojo-base
docker pull "$BASE:3.12-slim"
today=$(docker inspect --format '{{index .RepoDigests 0}}' "$BASE:3.12-slim")
sed -i.bak "s|^FROM .*|FROM $BASE:3.12-slim@${today#*@}|" Dockerfile
rm -f Dockerfile.bak
