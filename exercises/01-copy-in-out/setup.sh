#!/usr/bin/env bash
# Arrange the scenario: start dojo-copy, a small status page that rereads its settings file
# /etc/app/app.conf every second. At its first start the app writes that file with a fresh
# instance id of its own, so a working copy can only come from the container. Every start is
# logged to /var/log/app/starts. Running it again starts over.
set -euo pipefail

docker rm -f dojo-copy >/dev/null 2>&1 || true

app=$(
  cat <<'APP'
trap 'exit 0' TERM INT
mkdir -p /etc/app /var/log/app /www
echo "started $(date -u +%Y-%m-%dT%H:%M:%SZ)" >>/var/log/app/starts
conf=/etc/app/app.conf
if [ ! -f "$conf" ]; then
  new=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
  cat >"$conf" <<CONF
# dojo-copy settings, written at the app's first start.
# The app rereads this file every second: no restart needed.
instance=$new
mode=normal
CONF
fi
id=$(sed -n 's/^instance=//p' "$conf")
echo "dojo-copy: instance $id, serving on port 8080, settings in $conf"
httpd -p 8080 -h /www
seen=
while :; do
  mode=normal
  note="settings: $conf"
  if [ ! -f "$conf" ]; then
    note="settings ignored: $conf is missing"
  elif ! grep -qx "instance=$id" "$conf"; then
    note="settings ignored: $conf is not this instance's own file (its instance line differs)"
  else
    mode=$(sed -n 's/^mode=//p' "$conf" | tail -n 1)
  fi
  printf '<!doctype html>\n<title>dojo-copy</title>\n<h1>dojo-copy</h1>\n<p>mode: %s</p>\n<p>%s</p>\n' \
    "$mode" "$note" >/www/index.html.new
  mv /www/index.html.new /www/index.html
  now="$mode / $note"
  if [ "$now" != "$seen" ]; then
    echo "dojo-copy: mode: $now"
    seen=$now
  fi
  sleep 1
done
APP
)

echo "Starting dojo-copy on http://127.0.0.1:18015/ …"
docker run -d --name dojo-copy -p 18015:8080 busybox:1.36.1 sh -c "$app" >/dev/null
for _ in $(seq 50); do
  docker exec dojo-copy test -f /www/index.html >/dev/null 2>&1 && break
  sleep 0.1
done
echo "It serves its status page; its settings are in /etc/app/app.conf inside the container."
