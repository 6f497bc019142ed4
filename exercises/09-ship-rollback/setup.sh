#!/usr/bin/env bash
# Arranges 09-ship-rollback: a local registry on 127.0.0.1:18095 that already holds release 1.0
# of dojo-ship-app (the release running in "production" until today). Idempotent: it removes its
# own named resources first.
set -euo pipefail
REG=127.0.0.1:18095
docker rm -f -v dojo-ship-web dojo-ship-registry >/dev/null 2>&1 || true
for ref in "$REG/dojo-ship-app:1.0" "$REG/dojo-ship-app:2.0" dojo-ship-app:1.0; do
    docker rmi "$ref" >/dev/null 2>&1 || true
done

docker run -d --name dojo-ship-registry -p 127.0.0.1:18095:5000 registry:2.8.2 >/dev/null
for _ in $(seq 1 50); do
    if docker run --rm --network container:dojo-ship-registry busybox:1.36.1 \
        wget -q -O /dev/null http://127.0.0.1:5000/v2/ >/dev/null 2>&1; then
        break
    fi
    sleep 0.2
done

# Release 1.0, as the release pipeline built it.
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
mkdir -p "$src/www"
cat > "$src/Dockerfile" <<'DOCKERFILE'
FROM busybox:1.36.1
COPY www/ /www/
CMD ["httpd", "-f", "-p", "0.0.0.0:8080", "-h", "/www"]
DOCKERFILE
cat > "$src/www/index.html" <<'HTML'
<h1>dojo-ship-app version 1.0</h1>
<p>The release that has been running in production.</p>
HTML
quiet() { local out; if ! out=$("$@" 2>&1); then echo "$out" >&2; return 1; fi; }
quiet docker build -t "$REG/dojo-ship-app:1.0" "$src"
quiet docker push "$REG/dojo-ship-app:1.0"
# Only the registry keeps 1.0 now, as on a fresh server.
docker rmi "$REG/dojo-ship-app:1.0" >/dev/null

echo "A registry runs at $REG (container dojo-ship-registry) and holds $REG/dojo-ship-app:1.0."
echo "This folder holds the source of release 2.0. Ship it, then see README.md."
