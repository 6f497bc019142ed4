#!/usr/bin/env bash
# Arranges 10-moved-tag: a local registry on 127.0.0.1:18100 where the tag dojo-base:3.12-slim
# moved overnight. Yesterday it pointed at a base with libssl 1 (its digest is saved in
# base-digest.txt, as a build log would have shown it); today it points at a rebuilt base with
# libssl 3. No copy of either is left on this machine, so the next build pulls.
# Idempotent: it removes its own named resources first.
set -euo pipefail
REG=127.0.0.1:18100
BASE=$REG/dojo-base

quiet() { local out; if ! out=$("$@" 2>&1); then echo "$out" >&2; return 1; fi; }
forget_base() {
    # Every local copy of the base, by digest and by tag.
    local refs
    refs=$( (docker images --digests --format '{{.Repository}}@{{.Digest}}' "$BASE"
             docker images --format '{{.Repository}}:{{.Tag}}' "$BASE") | grep -v '<none>' || true)
    for ref in $refs; do docker rmi "$ref" >/dev/null 2>&1 || true; done
}

docker rm -f -v dojo-moved-registry >/dev/null 2>&1 || true
forget_base
rm -f base-digest.txt

docker run -d --name dojo-moved-registry -p 127.0.0.1:18100:5000 registry:2.8.2 >/dev/null
for _ in $(seq 1 50); do
    if docker run --rm --network container:dojo-moved-registry busybox:1.36.1 \
        wget -q -O /dev/null http://127.0.0.1:5000/v2/ >/dev/null 2>&1; then
        break
    fi
    sleep 0.2
done

src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
cat > "$src/Dockerfile" <<'DOCKERFILE'
FROM busybox:1.36.1
COPY libssl-version /etc/libssl-version
DOCKERFILE

# Yesterday: the base as the app was built and tested on.
echo 1 > "$src/libssl-version"
quiet docker build -t "$BASE:3.12-slim" "$src"
quiet docker push "$BASE:3.12-slim"
# The digest the registry serves for the tag: what a pull by digest asks for. (Asked of the
# registry itself: Podman compresses layers on push, so its local RepoDigests differ.) BuildKit
# engines (containerd image store) push an image index (the image plus an attestation), so ask
# for every form a client accepts: the registry then names what it holds under the tag, which is
# what `docker pull`, RepoDigests and a `FROM …@sha256:` pin use. (Asked only for single
# manifests, registry 2.8 answers 404 for an OCI index.)
registry_digest() {
    docker run --rm --network container:dojo-moved-registry busybox:1.36.1 \
        wget -q -S -O /dev/null \
        --header 'Accept: application/vnd.oci.image.index.v1+json' \
        --header 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
        --header 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        --header 'Accept: application/vnd.oci.image.manifest.v1+json' \
        "http://127.0.0.1:5000/v2/dojo-base/manifests/$1" 2>&1 |
        sed -n 's/^ *[Dd]ocker-[Cc]ontent-[Dd]igest: *\(sha256:[0-9a-f]*\).*/\1/p'
}
digest=$(registry_digest 3.12-slim)
[ -n "$digest" ] || { echo "the registry did not name a digest for dojo-base:3.12-slim" >&2; exit 1; }
echo "$digest" > base-digest.txt
# Yesterday's copy goes now, by name and digest: the rebuild below would leave it untagged.
forget_base

# Overnight: the publisher rebuilt 3.12-slim on a newer release; same tag, new libssl.
echo 3 > "$src/libssl-version"
quiet docker build -t "$BASE:3.12-slim" "$src"
quiet docker push "$BASE:3.12-slim"

forget_base

echo "Registry $REG (container dojo-moved-registry): $BASE:3.12-slim has moved."
echo "Yesterday's base was $(cat base-digest.txt) (saved in base-digest.txt)."
