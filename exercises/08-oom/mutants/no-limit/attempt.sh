#!/usr/bin/env bash
# The limit is removed (--memory 0 means unlimited): the job finishes, with no fence at all.
set -euo pipefail
echo "Exit code 137: the kernel killed it for using too much memory (OOMKilled)." >ANSWER.md
./run-job.sh
