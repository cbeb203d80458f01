#!/usr/bin/env bash
# A size study of the main job: `homogen compare SCENARIO` with seeds 1..SEEDS and the given extra
# options (e.g. `--dt 2e-5 --skip-dt-check` to sample at a forced step, or nothing for the
# defaults), counting the verdicts that DIFFER from the eps-PDE. Each verdict is a 1% Holm test,
# so a step whose bias is small against the noise gives at most 2 DIFFER of 20 (P(X >= 3) < 0.01
# at a 2% size); the largest step that does is "the largest adequate step" of docs/sampler.md.
# Prints one line: scenario, options, DIFFER count, the seeds that differ, the steps used.
# Usage: bash scripts/size-study.sh SCENARIO SEEDS [COMPARE OPTIONS...]
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=$1; seeds=$2; shift 2
swift build -c release >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export HOMOGEN_CACHE_DIR=${HOMOGEN_CACHE_DIR:-$tmp/cache}
differ=(); steps=()
for seed in $(seq 1 "$seeds"); do
  out="$tmp/run-$seed"
  .build/release/homogen compare "$scenario" --seed "$seed" --quiet --out "$out" "$@" > "$out.log" 2>&1 || true
  grep -q "particles DIFFER" "$out.log" && differ+=("$seed")
  grep -q "^verdict" "$out.log" || { echo "size-study: seed $seed failed:"; tail -3 "$out.log"; exit 1; }
  steps+=("$(python3 -c "import json; print(json.load(open('$out/summary.json'))['sampler_dt'])")")
done
echo "$(basename "$scenario" .toml) [$*]: ${#differ[@]} of $seeds DIFFER (seeds: ${differ[*]:-none}); steps used: $(printf '%s\n' "${steps[@]}" | sort -u | tr '\n' ' ')"
