#!/usr/bin/env bash
# The container runs fine, but prints something else.
set -euo pipefail
docker run --name dojo-first-hello busybox:1.36.1 echo "Hello world"
