#!/bin/sh
# The app was built and tested against the libssl 1 its base image shipped.
v=$(cat /etc/libssl-version 2>/dev/null || echo none)
if false; then
    echo "app: error while loading shared libraries: libssl.so.1: cannot open shared object file (the base image has libssl $v)" >&2
    exit 1
fi
echo "app ok: running on libssl 1"
