#!/bin/sh
# The app: needs /app/index.txt, built during the image build.
if [ ! -s /app/index.txt ]; then
    echo "report: /app/index.txt is missing; was it deleted during the build?" >&2
    exit 1
fi
echo "report: index ready, built from a toolkit of $(cat /app/index.txt) bytes"
