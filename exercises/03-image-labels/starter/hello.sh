#!/bin/sh
# dojo-hello: a tiny app that says which version it is.
echo "dojo-hello 1.4.0 says hello"
