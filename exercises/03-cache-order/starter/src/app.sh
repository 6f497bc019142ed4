#!/bin/sh
# The app: the part you edit every day.
set -e
count=$(ls /app/vendor 2>/dev/null | wc -l)
if [ "$count" -eq 0 ]; then
    echo "error: no packages in /app/vendor; were the dependencies installed?" >&2
    exit 1
fi
echo "Cache-friendly app is up, using $count packages: $(ls /app/vendor | tr '\n' ' ')"
