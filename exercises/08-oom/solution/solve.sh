#!/usr/bin/env bash
# Diagnose (exit 137, OOMKilled=true), then re-run the job with a limit that fits it.
set -euo pipefail
docker inspect --format '{{.State.ExitCode}} {{.State.OOMKilled}}' dojo-oom-job
./run-job.sh
