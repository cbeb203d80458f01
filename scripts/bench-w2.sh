#!/usr/bin/env bash
# homogen w2 against POT (benchmarks/w2_pot.py; `python3 -m pip install pot numpy`), side by side in
# one run on the same files: the value, the seconds of the computation (reading excluded) and the
# whole process (start-up and reading included), and the ratio POT / homogen of each.
#   circle: 1e6 vs 1e6 samples (text), exact W2 on the circle;
#   torus:  1000, 2000, 4000 points a side (text), exact W2 (LEMON network simplex vs ot.emd2);
#   grid:   32^2 and 64^2 cell masses (.npy; back-and-forth vs ot.emd2 on the cell centres),
#           and homogen alone at 128^2 and 256^2 (POT's dense cost does not fit).
# Usage: bash scripts/bench-w2.sh [circle-N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
swift build -c release >/dev/null
python3 -c "import ot" 2>/dev/null || python3 -m pip install -q pot
h=$(pwd)/.build/release/homogen
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 - "$n" "$tmp" <<'PY'
import sys
import numpy as np
n, tmp = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(0)
np.savetxt(f"{tmp}/c_a.txt", rng.random(n), fmt="%.17g"); np.savetxt(f"{tmp}/c_b.txt", rng.random(n) ** 2, fmt="%.17g")
for m in (1000, 2000, 4000):
    np.savetxt(f"{tmp}/t{m}_a.txt", rng.random((m, 2)), fmt="%.17g")
    np.savetxt(f"{tmp}/t{m}_b.txt", rng.random((m, 2)) ** 2, fmt="%.17g")
def bumps(g, spec):
    c = (np.arange(g) + 0.5) / g
    x1, x2 = np.meshgrid(c, c, indexing="ij")
    f = np.full((g, g), 0.05)
    for (a1, a2, s) in spec:
        d1 = np.abs(x1 - a1); d1 = np.minimum(d1, 1 - d1)
        d2 = np.abs(x2 - a2); d2 = np.minimum(d2, 1 - d2)
        f += np.exp(-(d1 ** 2 + d2 ** 2) / (2 * s * s))
    return f
for g in (32, 64, 128, 256):
    np.save(f"{tmp}/g{g}_a.npy", bumps(g, [(0.3, 0.4, 0.08), (0.8, 0.1, 0.05)]))
    np.save(f"{tmp}/g{g}_b.npy", bumps(g, [(0.6, 0.7, 0.1)]))
PY
now() { date +%s.%N; }
printf "%-14s %16s %16s %9s %9s %9s %9s %8s %8s\n" case "homogen W2" "POT W2" "h comp" "POT comp" "h whole" "POT whole" "comp x" "whole x"
run() {  # name, homogen args..., --, POT mode, files
  local name=$1; shift
  local args=(); while [ "$1" != "--" ]; do args+=("$1"); shift; done; shift
  local t0 t1 t2 t3 hw hc pw pc
  t0=$(now); hw=$("$h" w2 "${args[@]}" --time -q 2>"$tmp/err"); t1=$(now)
  hc=$(sed -n 's/^seconds=//p' "$tmp/err")
  if [ "$1" = "none" ]; then
    python3 -c "print(f'%-14s %16s %16s %9.3f %9s %9.3f %9s %8s %8s' % ('$name', '$hw', '-', $hc, '-', $t1 - $t0, '-', '-', '-'))"
    grep "back-and-forth" "$tmp/err" | sed 's/^/    /' || true
    return
  fi
  t2=$(now); out=$(python3 benchmarks/w2_pot.py "$@"); t3=$(now)
  pw=$(echo "$out" | sed 's/.*w2=\([^ ]*\).*/\1/'); pc=$(echo "$out" | sed 's/.*seconds=//')
  python3 -c "print(f'%-14s %16s %16s %9.3f %9.3f %9.3f %9.3f %8.1f %8.1f' % ('$name', '$hw', '$pw', $hc, $pc, $t1 - $t0, $t3 - $t2, $pc / $hc, ($t3 - $t2) / ($t1 - $t0)))"
  grep "back-and-forth" "$tmp/err" | sed 's/^/    /' || true
}
run "circle $n" "$tmp/c_a.txt" "$tmp/c_b.txt" -- circle "$tmp/c_a.txt" "$tmp/c_b.txt"
for m in 1000 2000 4000; do
  run "torus $m" "$tmp/t${m}_a.txt" "$tmp/t${m}_b.txt" -- torus "$tmp/t${m}_a.txt" "$tmp/t${m}_b.txt"
done
for g in 32 64; do
  run "grid ${g}^2" --grid "$tmp/g${g}_a.npy" "$tmp/g${g}_b.npy" -- grid "$tmp/g${g}_a.npy" "$tmp/g${g}_b.npy"
done
for g in 128 256; do run "grid ${g}^2" --grid "$tmp/g${g}_a.npy" "$tmp/g${g}_b.npy" -- none; done
