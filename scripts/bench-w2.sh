#!/usr/bin/env bash
# Side-by-side W2-on-the-circle benchmark against POT (../shared/peers/w2_pot.py): the same two
# samples of N points (uniform, and uniform squared; NumPy seed 0), POT's ot.wasserstein_circle
# and homogen w2 (sorting included, reading excluded for both). Prints both values and times.
# Usage: bash scripts/bench-w2.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
swift build -c release >/dev/null
python3 -c "import ot" 2>/dev/null || python3 -m pip install -q pot
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 - "$n" "$tmp" <<'PY'
import sys, time
import numpy as np
import ot
n, tmp = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(0)
a, b = rng.random(n), rng.random(n) ** 2
np.savetxt(f"{tmp}/a.txt", a, fmt="%.17g"); np.savetxt(f"{tmp}/b.txt", b, fmt="%.17g")
t = time.perf_counter()
w = float(np.sqrt(np.ravel(ot.wasserstein_circle(a, b, p=2))[0]))
print(f"pot      n={n} w2={w:.15f} seconds={time.perf_counter() - t:.3f}")
PY
w=$(.build/release/homogen w2 "$tmp/a.txt" "$tmp/b.txt" --time 2>"$tmp/time")
echo "homogen  n=$n w2=$w $(cat "$tmp/time")"
