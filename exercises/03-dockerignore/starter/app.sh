#!/bin/sh
# The app. Its API token comes from the environment at run time:
#   docker run -e API_TOKEN=... IMAGE
# never from a file baked into the image.
echo "app: starting"
if [ -n "${API_TOKEN:-}" ]; then
    echo "app: ready, API token provided at run time"
else
    echo "app: ready, but no API token set (pass one with: docker run -e API_TOKEN=...)"
fi
