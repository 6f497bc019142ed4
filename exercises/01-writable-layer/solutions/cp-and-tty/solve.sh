#!/usr/bin/env bash
# Long flags, a shell kept alive by a terminal instead of `sleep`, and the file put in with
# `docker cp` rather than written by a command inside the container.
set -euo pipefail
docker container run --detach --interactive --tty --name dojo-layer-a busybox:1.36.1
docker container create --name dojo-layer-b busybox:1.36.1 sleep 3600
docker container start dojo-layer-b
echo "hello from a" > hello.txt
docker cp hello.txt dojo-layer-a:/hello.txt
docker container diff dojo-layer-a
