#!/usr/bin/env bash
# Hedges the diagnosis with two exit codes, then applies the right fix.
set -euo pipefail
echo "It ended with 137 or 143, killed for using too much memory." >ANSWER.md
./run-job.sh
