#!/bin/sh
# Stands in for a real package manager (npm ci, pip install, go mod download): it reads the
# dependency list next to it and "downloads" each package into /app/vendor. Slow, like the real thing.
set -e
here=$(dirname "$0")
mkdir -p /app/vendor
grep -v '^#' "$here/deps.txt" | while read -r name version; do
    [ -n "$name" ] || continue
    echo "downloading $name $version ..."
    sleep 1
    echo "$name $version" > "/app/vendor/$name"
done
echo "installed $(ls /app/vendor | wc -l) packages"
