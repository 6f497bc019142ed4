#!/usr/bin/env bash
# Pin by digest alone (no tag), the digest given as a build argument with yesterday's as default.
set -euo pipefail
digest=$(cat base-digest.txt)
cat > Dockerfile <<DOCKERFILE
ARG BASE_DIGEST=${digest}
FROM 127.0.0.1:18100/dojo-base@\${BASE_DIGEST}
COPY app.sh /app/app.sh
CMD ["/app/app.sh"]
DOCKERFILE
docker build --pull -t dojo-moved-app .
docker run --rm dojo-moved-app
