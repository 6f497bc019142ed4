#!/usr/bin/env bash
# Ships 2.0, then "rolls back" by making the registry's 2.0 tag name the 1.0 release (here
# through the registry's API, as `docker buildx imagetools create -t …:2.0 …:1.0` or a pull,
# tag and push would) and runs it: the server runs 1.0, but the 2.0 release is gone from the
# registry.
set -euo pipefail
REG=127.0.0.1:18095
docker build -t $REG/dojo-ship-app:2.0 .
docker push $REG/dojo-ship-app:2.0
accept="application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"
type=$(curl -fsS -o /dev/null -w '%{content_type}' -H "Accept: $accept" "http://$REG/v2/dojo-ship-app/manifests/1.0")
curl -fsS -H "Accept: $accept" "http://$REG/v2/dojo-ship-app/manifests/1.0" -o manifest-1.0.json
curl -fsS -X PUT -H "Content-Type: $type" --data-binary @manifest-1.0.json "http://$REG/v2/dojo-ship-app/manifests/2.0"
rm -f manifest-1.0.json
docker pull $REG/dojo-ship-app:2.0
docker run -d --name dojo-ship-web -p 18096:8080 $REG/dojo-ship-app:2.0
