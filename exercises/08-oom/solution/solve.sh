#!/usr/bin/env bash
# Diagnose (exit 137, OOMKilled=true), then re-run the job with a limit that fits it.
set -euo pipefail
docker inspect --format '{{.State.ExitCode}} {{.State.OOMKilled}}' dojo-oom-job
# Say why before fixing (what `dockdojo answer 08-oom "…"` writes).
echo "Exit code 137: it was OOMKilled, over its 16 MB memory limit." >ANSWER.md
./run-job.sh
