#!/bin/sh
# notes: records each start in /app/data/notes.log, then serves /app/www on port 8080.
if ! echo "notes: started as uid $(id -u) at $(date -u +%H:%M:%S)" >> /app/data/notes.log; then
  echo "notes: FATAL: cannot write to /app/data (it belongs to $(stat -c %U /app/data), I run as $(id -un))" >&2
  exit 1
fi
echo "notes: ready as $(id -un) (uid $(id -u)), data in /app/data"
exec httpd -f -p 8080 -h /app/www
