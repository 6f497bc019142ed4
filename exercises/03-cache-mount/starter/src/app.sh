#!/bin/sh
# The app: it needs the packages minipkg installed into /app/vendor.
set -e
count=$(ls /app/vendor 2>/dev/null | wc -l)
if [ "$count" -eq 0 ]; then
    echo "error: no packages in /app/vendor; were the dependencies installed into the image?" >&2
    exit 1
fi
echo "App is up, using $count packages: $(ls /app/vendor | tr '\n' ' ')"
