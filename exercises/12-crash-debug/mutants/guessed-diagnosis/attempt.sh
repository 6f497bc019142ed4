#!/usr/bin/env bash
# Guesses the cause instead of reading it, then applies the right fix anyway.
set -euo pipefail
echo "Exit code 127: the start command was not found in the image." >ANSWER.md
docker rm -f dojo-crash-app
docker run -d --name dojo-crash-app -p 18130:8080 -e DATA_DIR=/srv/site dojo-crash-app:v1
