#!/usr/bin/env bash
# Names the right exit code but blames a kill from outside instead of the memory limit, then
# applies the right fix anyway.
set -euo pipefail
echo "Exit code 137, not OOM but a manual docker kill." >ANSWER.md
./run-job.sh
