#!/bin/sh
# A tiny app: prints a greeting and the machine it runs on.
echo "Hello from my first image!"
echo "Running on $(hostname) as $(id -un)"
