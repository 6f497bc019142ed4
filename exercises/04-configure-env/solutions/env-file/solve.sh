#!/usr/bin/env bash
# The settings in an env file (no quotes: Docker takes each line after `=` literally), long flags,
# and the port published on the loopback address only.
set -euo pipefail
docker image build --tag dojo-env-app:v1 .
printf 'GREETING=Welcome to the dojo\nCOLOR=teal\n' > web.env
docker container run --detach --name=dojo-env-web --publish=127.0.0.1:18010:8080/tcp \
    --env-file=web.env dojo-env-app:v1
