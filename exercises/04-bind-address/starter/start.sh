#!/bin/sh
# Starts the web server with the settings in /app/server.conf.
conf=/app/server.conf
listen=$(awk '$1 == "listen" { print $2 }' "$conf")
root=$(awk '$1 == "root" { print $2 }' "$conf")
if [ -z "$listen" ] || [ -z "$root" ]; then
    echo "server: $conf must set both 'listen ADDRESS:PORT' and 'root FOLDER'" >&2
    exit 1
fi
echo "server: listening on $listen, serving $root"
exec httpd -f -p "$listen" -h "$root"
