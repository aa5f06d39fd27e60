#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan (build-fuzz/),
# then runs each for a bounded time on a copy of its corpus in
# tests/fuzz/corpus/. A crash stops the script with the fuzzer's report and
# the crashing input; fix it and add the input to the corpus.
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]   (default 20)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${1:-20}"
build="$root/build-fuzz"
cmake -S "$root" -B "$build" -G Ninja -DLMX_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" --target lmx_fuzzers
corpus="$root/tests/fuzz/corpus"
if [ -z "$(ls -A "$corpus/log_entry")" ]; then
  "$build/tests/fuzz/make_log_entry_seeds" "$corpus/log_entry"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1
for target in csv_reader parsers log_entry sdmx_query sdmx_ml; do
  mkdir -p "$work/$target"
  echo "fuzzing $target for ${seconds}s"
  # New inputs go to the scratch copy; the kept corpus is only read. A
  # crash leaves its input (crash-*) in $work, which is then kept.
  if ! (cd "$work" && "$build/tests/fuzz/${target}_fuzzer" -max_total_time="$seconds" \
      -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      "$work/$target" "$corpus/$target" >"$work/$target.log" 2>&1); then
    tail -n 60 "$work/$target.log"
    echo "fuzzer $target failed; its log and crashing input are in $work" >&2
    trap - EXIT
    exit 1
  fi
  grep -E "^Done|new_units_added|average_exec_per_sec" "$work/$target.log"
done
echo "fuzzers ran ${seconds}s each without a crash"
