#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Builds the libFuzzer harnesses (tests/fuzz) with clang, ASan and UBSan in
# their own build directory and runs each in turn, from its seed corpus.
#
#   scripts/fuzz.sh [SECONDS]            each target for SECONDS (default 60)
#   scripts/fuzz.sh --runs N             each target for N executions (CI)
#   scripts/fuzz.sh [...] TARGET...      only these targets (fuzz-epub, ...)
#
# New inputs go to build-fuzz/corpus/TARGET (the committed seeds in
# tests/fuzz/corpus/TARGET are only read); a crash leaves its input in
# build-fuzz/crashes/ and fails the script.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build="${KIOS_FUZZ_BUILD:-$top/build-fuzz}"
mode="-max_total_time=60"
case "${1:-}" in
  --runs) mode="-runs=$2"; shift 2 ;;
  ''|-*) ;;
  *) case "$1" in
       *[!0-9]*) ;;
       *) mode="-max_total_time=$1"; shift ;;
     esac ;;
esac

targets="$*"
if [ -z "$targets" ]; then
  targets=$(sed -n "s/^  '\(fuzz-[a-z0-9-]*\)',$/\1/p" "$top/tests/fuzz/meson.build")
fi

if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz.sh: clang is missing (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

if [ ! -f "$build/build.ninja" ]; then
  rm -rf "$build"
  setup_log=$(mktemp)
  CC=clang CFLAGS="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined" \
    meson setup "$build" "$top" -Dgui=false -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized >"$setup_log" 2>&1 ||
    { cat "$setup_log" >&2; rm -f "$setup_log"; exit 1; }
  rm -f "$setup_log"
fi
build_log=$(mktemp)
ninja -C "$build" $(for t in $targets; do printf 'tests/fuzz/%s ' "$t"; done) >"$build_log" 2>&1 ||
  { cat "$build_log" >&2; rm -f "$build_log"; echo "fuzz.sh: the harnesses did not build" >&2; exit 1; }
rm -f "$build_log"

mkdir -p "$build/crashes"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export G_DEBUG=""
status=0
for t in $targets; do
  seeds="$top/tests/fuzz/corpus/$t"
  corpus="$build/corpus/$t"
  mkdir -p "$corpus"
  log="$build/$t.log"
  echo "== $t ($mode)"
  if "$build/tests/fuzz/$t" "$mode" -rss_limit_mb=2048 -timeout=10 -max_len=262144 \
      -print_final_stats=1 -artifact_prefix="$build/crashes/$t-" \
      "$corpus" "$seeds" >"$log" 2>&1; then
    grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)" "$log" | tr '\n' ' '
    echo
  else
    status=1
    echo "$t FAILED; its log: $log" >&2
    grep -E "ERROR|SUMMARY|Test unit written" "$log" >&2 || tail -20 "$log" >&2
  fi
done
exit $status
