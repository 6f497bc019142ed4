#!/usr/bin/env bash
# Arrange the scenario: build dojo-crash-app:v1 and start dojo-crash-app the way a colleague
# did, which crashes at once. The image's sources are written to a temporary folder, so the
# learner finds the cause with docker's own tools (ps -a, logs, inspect, history), not by reading
# files. Running it again starts over.
set -euo pipefail

docker rm -f dojo-crash-app >/dev/null 2>&1 || true

ctx=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$ctx" "$log"' EXIT
mkdir -p "$ctx/site"

cat >"$ctx/site/index.html" <<'EOF'
<!doctype html>
<title>crash-app</title>
<h1>crash-app is up</h1>
<p>You found why it crashed and fixed it.</p>
EOF

cat >"$ctx/start.sh" <<'EOF'
#!/bin/sh
# crash-app: serves the site in $DATA_DIR on port 8080.
if [ -z "${DATA_DIR:-}" ]; then
  echo "crash-app: FATAL: DATA_DIR is not set; it must name the folder that holds the site (index.html)" >&2
  exit 1
fi
if [ ! -d "$DATA_DIR" ]; then
  echo "crash-app: FATAL: DATA_DIR=$DATA_DIR does not exist in the container" >&2
  exit 1
fi
echo "crash-app: serving $DATA_DIR on port 8080"
exec httpd -f -p 8080 -h "$DATA_DIR"
EOF
chmod +x "$ctx/start.sh"

cat >"$ctx/Dockerfile" <<'EOF'
FROM busybox:1.36.1
COPY site/ /srv/site/
COPY start.sh /app/start.sh
EXPOSE 8080
CMD ["/app/start.sh"]
EOF

echo "Building dojo-crash-app:v1…"
if ! docker build -t dojo-crash-app:v1 "$ctx" >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
echo "Starting it the way your colleague did:"
echo "  docker run -d --name dojo-crash-app -p 18130:8080 dojo-crash-app:v1"
docker run -d --name dojo-crash-app -p 18130:8080 dojo-crash-app:v1 >/dev/null
# Let it crash before anyone looks.
for _ in $(seq 50); do
  [ "$(docker inspect --format '{{.State.Running}}' dojo-crash-app)" = false ] && break
  sleep 0.1
done
echo "…and http://127.0.0.1:18130/ does not answer. Over to you."
