#!/usr/bin/env bash
# The policy is right, but the container's filesystem is read-only: nothing inside can write
# /tmp/crash, so the failure the policy is for cannot be brought about.
set -euo pipefail
docker build -t dojo-restart-app:v1 .
docker run -d --name dojo-restart-app --read-only --restart on-failure dojo-restart-app:v1
# Podman mounts a writable tmpfs on /tmp of a read-only container (--read-only-tmpfs): there the
# trigger works and this attempt is a valid one, so there is nothing to prove.
if docker exec dojo-restart-app sh -c ': > /tmp/.dojo-writable && rm /tmp/.dojo-writable' 2>/dev/null; then
    echo "this engine keeps /tmp writable in a read-only container" >&2
    exit 77
fi
