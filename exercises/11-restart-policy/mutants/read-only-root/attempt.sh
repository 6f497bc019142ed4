#!/usr/bin/env bash
# The policy is right, but the container's filesystem is read-only: nothing inside can write
# /tmp/crash, so the failure the policy is for cannot be brought about.
set -euo pipefail
docker build -t dojo-restart-app:v1 .
docker run -d --name dojo-restart-app --read-only --restart on-failure dojo-restart-app:v1
