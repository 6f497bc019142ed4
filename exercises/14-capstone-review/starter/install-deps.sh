#!/bin/sh
# install-deps.sh TOKEN_FILE DEST: fetches every package in deps.txt (next to this script) from
# the team's private package index into DEST. The index wants the team's token.
# (The download is simulated: nothing leaves the machine.)
set -e
token_file=${1:?usage: install-deps.sh TOKEN_FILE DEST}
dest=${2:?usage: install-deps.sh TOKEN_FILE DEST}
here=$(dirname "$0")
if ! grep -q '^dojo-index-token-' "$token_file" 2>/dev/null; then
    echo "install-deps: $token_file holds no index token: the private index refuses" >&2
    exit 1
fi
mkdir -p "$dest"
grep -v '^#' "$here/deps.txt" | while read -r name version; do
    [ -n "$name" ] || continue
    echo "install-deps: fetching $name $version from the private index"
    sleep 1
    mkdir -p "$dest/$name"
    echo "$name $version" > "$dest/$name/VERSION"
done
echo "install-deps: done"
