#!/bin/sh
# Renders the page from the environment (GREETING, COLOR), then serves it on port 8080.
mkdir -p /www
cat > /www/index.html <<EOF
<!doctype html>
<html><head><title>dojo-env</title></head><body>
<p>This page is configured by the environment variables GREETING and COLOR.</p>
<h1 style="color: $COLOR">$GREETING</h1>
</body></html>
EOF
echo "start: GREETING=\"$GREETING\" COLOR=\"$COLOR\", serving on port 8080"
exec httpd -f -p 0.0.0.0:8080 -h /www
