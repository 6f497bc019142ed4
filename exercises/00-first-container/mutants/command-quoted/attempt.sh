#!/usr/bin/env bash
# The whole command is one quoted word, so Docker looks for a program named "echo Hello from…".
# docker run fails (exit 127) and leaves the container behind in the "created" state.
set -euo pipefail
docker run --name dojo-first-hello busybox:1.36.1 "echo Hello from my first container" || true
