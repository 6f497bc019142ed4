#!/usr/bin/env bash
# Names the missing setting but the wrong exit code (a "1" elsewhere in the sentence), then
# applies the right fix anyway.
set -euo pipefail
echo "It exited with code 0 after 1 second because DATA_DIR was not set." >ANSWER.md
docker rm -f dojo-crash-app
docker run -d --name dojo-crash-app -p 18130:8080 -e DATA_DIR=/srv/site dojo-crash-app:v1
