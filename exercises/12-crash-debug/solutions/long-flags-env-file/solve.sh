#!/usr/bin/env bash
# Diagnose with docker logs and the image's history, then replace the container with the setting
# from an env file, published with long flags on the loopback address.
set -euo pipefail
docker logs dojo-crash-app 2>&1 | tail -n 3
docker history dojo-crash-app:v1
echo 'status 1 -- the app wants data_dir and nobody set it' >ANSWER.md
docker container rm --force dojo-crash-app
echo "DATA_DIR=/srv/site" > crash-app.env
docker container run --detach --name dojo-crash-app --env-file crash-app.env \
    --publish 127.0.0.1:18130:8080/tcp dojo-crash-app:v1
