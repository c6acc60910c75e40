#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build (the compile step runs this as $SRC/build.sh, or the
# ClusterFuzzLite build.sh execs it): every fuzz target into $OUT with its seed corpus
# (the committed corpus entries converted to the bytes the target reads), a dictionary of
# Python tokens, and libFuzzer options.
set -euo pipefail
cd "$SRC/salsa-fuzz"

# -O with debug assertions: salsa checks some invariants only with them.
cargo fuzz build -O --debug-assertions
built=fuzz/target/x86_64-unknown-linux-gnu/release

# The exporter is a host tool: build it without the sanitizer and coverage flags the
# environment sets for the targets (and without mimalloc's C code).
env -u RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS -u CFLAGS -u CXXFLAGS \
  cargo build --release --no-default-features --bin salsa-fuzz --target-dir "$WORK/host-tools"
exporter="$WORK/host-tools/release/salsa-fuzz"

for target in edit_script edit_script_sequential scopes_differential; do
  cp "$built/$target" "$OUT/"
  seeds="$WORK/seeds/$target"
  rm -rf "$seeds"
  mkdir -p "$seeds"
  "$exporter" corpus export corpus "$seeds" --target "$target"
  rm -f "$OUT/${target}_seed_corpus.zip"
  (cd "$seeds" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
  cp fuzz/dict/python.dict "$OUT/$target.dict"
  cp "fuzz/options/$target.options" "$OUT/$target.options"
done
