#!/bin/sh
# The app: it needs the assets, and never the token.
n=$(ls /app/assets 2>/dev/null | wc -l)
if [ "$n" -eq 0 ]; then
  echo "app: FATAL: no assets in /app/assets" >&2
  exit 1
fi
echo "app: ready with $n licensed assets"
