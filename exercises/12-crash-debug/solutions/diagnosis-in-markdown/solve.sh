#!/usr/bin/env bash
# The diagnosis is written by hand in ANSWER.md (markdown, other words); the fix uses the long
# flag forms.
set -euo pipefail
docker container rm --force dojo-crash-app
docker container run --detach --name=dojo-crash-app --publish=18130:8080 \
    --env=DATA_DIR=/srv/site dojo-crash-app:v1
