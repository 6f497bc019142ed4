#!/usr/bin/env bash
# Another valid way: the shell's printf inside the container, the container started in two steps.
set -euo pipefail
docker create --name dojo-first-hello busybox:1.36.1 sh -c 'printf "%s\n" "Hello from my first container"'
docker start -a dojo-first-hello
