#!/usr/bin/env bash
# Fuzzes the two ways text enters homogen with libFuzzer (AddressSanitizer on): the scenario
# loader and the expression pipeline (Fuzz/HomogenFuzz). Usage:
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGETS]     (defaults: 600, "scenario expression")
# scripts/test.sh runs it for 30 s per target. Seeds: scenarios/*.toml, the expressions in them,
# and Fuzz/seeds/ (the tests' bad inputs and every crash found so far). The corpus grows in
# .build-fuzz/corpus-TARGET and is kept between runs. A crash, a hang (> 60 s: the instrumented
# build runs about 70 times slower than release, and a shipped 3D scenario that validates in 0.3 s
# there took 10-22 s here, session 14) or a blow-up
# of memory (> 4 GiB) stops the run, saves the input as .build-fuzz/artifacts/TARGET-crash-*,
# and the script exits 1: add that input to Fuzz/seeds/ and a regression test.
# `tomlkit` (not run by default) feeds the TOML library without the scenario loader's subset check.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
targets="${2:-scenario expression}"
mkdir -p .build-fuzz/artifacts
# Not `--sanitize fuzzer --sanitize address`: SwiftPM passes those to swiftc as two -sanitize= flags,
# and swiftc then keeps only the last, so Swift code got no coverage instrumentation (libFuzzer
# saw only the C and C++ code). One -sanitize=fuzzer,address flag keeps both.
if ! HOMOGEN_FUZZ=1 swift build -c release --product homogen-fuzz --sanitize fuzzer \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=address -Xcxx -fsanitize=address \
    --scratch-path .build-fuzz >.build-fuzz/artifacts/build.log 2>&1; then
  grep -E "error" .build-fuzz/artifacts/build.log >&2 || tail -20 .build-fuzz/artifacts/build.log >&2
  echo "fuzz.sh: the fuzz build failed (.build-fuzz/artifacts/build.log)" >&2
  exit 1
fi
fuzzer=.build-fuzz/release/homogen-fuzz
# TOMLKit leaks a few strings per parse (strdup without free): a leak is not what we look for here.
export ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no
status=0
for target in $targets; do
  corpus=.build-fuzz/corpus-$target
  mkdir -p "$corpus"
  case $target in
    scenario|tomlkit) seeds=(scenarios Fuzz/seeds/scenario) ;;
    expression)
      seeds=(Fuzz/seeds/expression)
      # Every quoted expression of the scenario files, one per seed file.
      grep -hoE '^(B|pi|U|rho|f) = .*' scenarios/*.toml | grep -oE '"[^"]*"' | tr -d '"' |
        while IFS= read -r e; do printf '%s' "$e" > "$corpus/seed-$(printf '%s' "$e" | md5sum | cut -c1-12)"; done ;;
    *) echo "fuzz.sh: unknown target $target" >&2; exit 64 ;;
  esac
  echo "fuzz.sh: $target for $seconds s" >&2
  log=.build-fuzz/artifacts/$target.log
  if HOMOGEN_FUZZ_TARGET=$target "$fuzzer" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
      -detect_leaks=0 -max_len=8192 -dict=Fuzz/scenario.dict -print_final_stats=1 \
      -artifact_prefix=.build-fuzz/artifacts/$target- "$corpus" "${seeds[@]}" >"$log" 2>&1; then
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
    echo "fuzz.sh: $target: $runs executions in $seconds s, no crash" >&2
  else
    status=1
    echo "fuzz.sh: $target: FAILED, see $log and .build-fuzz/artifacts/" >&2
    grep -E "ERROR|SUMMARY|Test unit written" "$log" >&2 || true
  fi
done
exit $status
