#!/usr/bin/env bash
# Build the image, and run the container with a restart policy: Docker starts it again when its
# process exits with an error.
set -euo pipefail
docker build -t dojo-restart-app:v1 .
docker run -d --name dojo-restart-app --restart on-failure dojo-restart-app:v1
