#!/usr/bin/env bash
# Side-by-side benchmark of the Gromov-Hausdorff integrand phi(v) of (5.17) on the scalar laminate
# b(y1) = 2 + sin(2 pi y1) (exact: phi(e1) = (int sqrt(b))^2 = 1.933926, phi(e2) = min b = 1, and between
# the axes phi(45 deg) = 1.863446 from Snell's law, docs/solver.md):
# `homogen effective --json` (gh_norm; its own seconds, without the cell problem) against
# benchmarks/gh_skfmm.py (scikit-fmm fast marching over K x K periods of R cells) at three sizes.
# Needs scikit-fmm (python3 -m pip install scikit-fmm; installed here when missing).
# Usage: bash scripts/bench-gh.sh [PEERS_DIR]   (default: benchmarks)
set -euo pipefail
cd "$(dirname "$0")/.."
peers=${1:-benchmarks}
swift build -c release >/dev/null
python3 -c "import skfmm" 2>/dev/null || python3 -m pip install -q scikit-fmm
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed -e 's/^B = .*/B = "2 + sin(2*pi*y1)"/' -e 's/^name = .*/name = "gh-laminate"/' scenarios/laminate-2d.toml > "$tmp/gh.toml"
exact1=$(python3 -c "import numpy as np; y=(np.arange(1<<16)+0.5)/(1<<16); print(np.mean(np.sqrt(2+np.sin(2*np.pi*y)))**2)")
printf "%-28s %9s %12s %12s %12s %10s %10s %10s\n" method seconds "phi(e1)" "phi(e2)" "phi(45)" "err e1" "err e2" "err 45"
json=$(.build/release/homogen effective "$tmp/gh.toml" --json)
python3 - "$json" "$exact1" <<'PY'
import json, sys, math
g = json.loads(sys.argv[1])["gh_norm"]; e1 = float(sys.argv[2])
a = g["angles"]; p = g["phi"]
p0 = p[0]; p90 = p[min(range(len(a)), key=lambda k: abs(a[k] - math.pi / 2))]
p45 = p[min(range(len(a)), key=lambda k: abs(a[k] - math.pi / 4))]
e45 = 1.863446
print(f"{'homogen (graph stable norm)':28s} {g['seconds']:9.3f} {p0:12.6f} {p90:12.6f} {p45:12.6f} {abs(p0/e1-1):10.2e} {abs(p90-1):10.2e} {abs(p45/e45-1):10.2e}")
PY
for kr in "24 32" "32 48" "48 64"; do
  set -- $kr
  line=$(python3 "$peers/gh_skfmm.py" "2 + np.sin(2*np.pi*y1)" "$1" "$2")
  python3 - "$line" "$exact1" "$1" "$2" <<'PY'
import sys
line, e1, K, R = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
vals = [float(v) for v in line.split("=")[1].split()[:4]]
sec = float(line.split("seconds=")[1])
e45 = 1.863446
print(f"{'skfmm ' + K + ' periods x ' + R:28s} {sec:9.3f} {vals[0]:12.6f} {vals[2]:12.6f} {vals[1]:12.6f} {abs(vals[0]/e1-1):10.2e} {abs(vals[2]-1):10.2e} {abs(vals[1]/e45-1):10.2e}")
PY
done
