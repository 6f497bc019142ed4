#!/usr/bin/env bash
# The stopped container is just started again: same container, same limit.
set -euo pipefail
echo "Exit code 137: the kernel killed it for using too much memory (OOMKilled)." >ANSWER.md
docker start -a dojo-oom-job || true
