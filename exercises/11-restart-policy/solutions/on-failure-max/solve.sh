#!/usr/bin/env bash
# on-failure with a cap on restarts, long flags.
set -euo pipefail
docker image build --tag dojo-restart-app:v1 .
docker container run --detach --name dojo-restart-app --restart=on-failure:5 dojo-restart-app:v1
