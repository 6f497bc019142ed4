#!/bin/sh
# Downloads the licensed asset pack into /app/assets (simulated: no network needed).
# The asset server wants a deploy token: from the file named as the first argument, or from the
# DEPLOY_TOKEN environment variable.
set -eu
token="${DEPLOY_TOKEN:-}"
if [ -z "$token" ] && [ -n "${1:-}" ]; then
  token=$(cat "$1")
fi
case "$token" in
  dojo-token-*) ;;
  *) echo "fetch-assets: no valid deploy token (pass the token file, or set DEPLOY_TOKEN)" >&2; exit 1 ;;
esac
mkdir -p /app/assets
for a in logo.svg fonts.css icons.svg; do
  echo "licensed asset: $a" > "/app/assets/$a"
done
echo "fetch-assets: 3 assets downloaded to /app/assets"
