#!/usr/bin/env bash
# What a certified verdict costs: the wall time of `homogen compare SCENARIO` at its own N, from
# the command's start to its verdict (time-step pilots, sampling, the checked eps-PDE, the
# homogenised solve, distances and tests), for two paths on the same machine, one run each:
#
#   baseline  Euler–Maruyama under the time-step control of the BASELINE commit (default dc7ee37,
#             the last commit before the weak order-2 scheme), built from a git worktree in
#             /tmp/homogen-baseline-COMMIT (kept between runs);
#   defaults  this checkout's defaults (the weak order-2 scheme and its control).
#
# Both start with no time-step journal (a fresh HOMOGEN_CACHE_DIR per run), so their pilots are
# counted. Prints, per scenario, each path's step, verdict and seconds, and baseline/defaults.
# Usage: bash scripts/bench-certified.sh [SCENARIO...]   (default: the five of docs/sampler.md)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
baseline=${BASELINE:-dc7ee37}
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(oscillatory-1d coarse-step-1d stiff-energy-1d oscillatory-2d full-medium-oscillatory-2d)
swift build -c release >/dev/null
base_dir=/tmp/homogen-baseline-$baseline
if [ ! -x "$base_dir/.build/release/homogen" ]; then
  echo "bench-certified: building the baseline $baseline in $base_dir (once)" >&2
  rm -rf "$base_dir"
  git worktree prune
  git worktree add --detach "$base_dir" "$baseline" >/dev/null
  (cd "$base_dir" && swift build -c release >/dev/null)
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# run NAME BINARY SCENARIO: prints "seconds dt verdict" of one compare.
run() {
  local name=$1 binary=$2 scenario=$3 out="$tmp/$1-$3"
  local start end
  start=$(date +%s.%N)
  HOMOGEN_CACHE_DIR="$tmp/cache-$name-$scenario" "$binary" compare "$repo/scenarios/$scenario.toml" --quiet --out "$out" \
    > "$out.log" 2>&1 || true
  end=$(date +%s.%N)
  python3 - "$out" "$start" "$end" <<'PY'
import json, sys
out, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
try:
    s = json.load(open(out + "/summary.json"))
except OSError:
    print(f"{end - start:.1f} nan failed"); sys.exit()
dt = s.get("sampler_dt") or s.get("sample", {}).get("dt") or float("nan")
text = open(out + ".log").read()
verdict = "agrees" if "particles agree" in text else ("DIFFERS" if "DIFFER" in text else "?")
certified = "NOT certified" not in text and "NOT checked" not in text
dts = [line for line in text.splitlines() if line.startswith("time step: dt =")]
if dts:
    dt = float(dts[-1].split("dt =")[1].split()[0])
print(f"{end - start:.1f} {dt:.4g} {verdict}{'' if certified else '(uncertified)'}")
PY
}

printf "%-28s %8s | %-11s %-10s %-20s %8s | %-11s %-10s %-20s %8s | %s\n" scenario N \
  "baseline" "dt" "verdict" "seconds" "defaults" "dt" "verdict" "seconds" "baseline/defaults"
for sc in "${scenarios[@]}"; do
  n=$(grep -m1 '^count' "scenarios/$sc.toml" | sed 's/[^0-9]//g')
  read -r tb db vb <<<"$(run baseline "$base_dir/.build/release/homogen" "$sc")"
  read -r tn dn vn <<<"$(run defaults "$repo/.build/release/homogen" "$sc")"
  ratio=$(python3 -c "print(f'{$tb / $tn:.1f}x')")
  printf "%-28s %8s | %-11s %-10s %-20s %8s | %-11s %-10s %-20s %8s | %s\n" "$sc" "$n" "em" "$db" "$vb" "$tb" "weak2" "$dn" "$vn" "$tn" "$ratio"
done
