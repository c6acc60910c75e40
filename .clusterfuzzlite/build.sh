#!/bin/bash -eu
# One build script for OSS-Fuzz and ClusterFuzzLite.
exec "$SRC/salsa-fuzz/oss-fuzz/build.sh"
