#!/usr/bin/env bash
# Side-by-side cell-problem benchmark on the two-phase checkerboard of contrast 10 (A_hom = sqrt(10)):
# `homogen effective` (Q1 primal + dual at R/4, R/2 and R: certified bracket and Romberg estimate)
# against benchmarks/cell_fft_numpy.py (FFT-based Moulinec-Suquet basic scheme in NumPy, an estimate
# without bounds) at R = 128 and 256, and homogen at its default (bracket-chosen) resolution.
# Wall seconds include the whole command (homogen: scenario loading too; peer: the iteration only).
# Usage: bash scripts/bench-cell.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
scenario=scenarios/checkerboard-contrast10-2d.toml
peer_expr="np.where((np.floor(2*y1) + np.floor(2*y2)) % 2 == 0, 1.0, 10.0)"
printf "%-22s %6s %10s %14s %14s %14s %12s\n" method R seconds A_hom11 lower11 upper11 rel_error
for r in 128 256 default; do
  args=(); [ "$r" = default ] || args=(--resolution "$r")
  start=$(date +%s.%N)
  json=$(.build/release/homogen effective "$scenario" --json --no-gh "${args[@]}")
  end=$(date +%s.%N)
  python3 - "$json" "$start" "$end" <<'PY'
import json, sys, math
j = json.loads(sys.argv[1]); s = float(sys.argv[3]) - float(sys.argv[2])
a = j["A_hom"]; a = a["values"][0] if isinstance(a, dict) else a
b = j["A_hom_bounds"]; lo = b["lower"]; up = b["upper"]
lo = lo["values"][0] if isinstance(lo, dict) else lo; up = up["values"][0] if isinstance(up, dict) else up
print(f"{'homogen Q1 bracket':22s} {j['resolution']:6d} {s:10.3f} {a[0][0]:14.8f} {lo[0][0]:14.8f} {up[0][0]:14.8f} {abs(a[0][0] / math.sqrt(10) - 1):12.2e}")
PY
  if [ "$r" != default ]; then
    line=$(python3 benchmarks/cell_fft_numpy.py "$peer_expr" "$r")
    python3 - "$line" "$r" <<'PY'
import sys, math
f = dict(kv.split("=") for kv in sys.argv[1].split()[1:])
v = float(f["A_hom11"])
print(f"{'numpy FFT (M-S)':22s} {int(sys.argv[2]):6d} {float(f['seconds']):10.3f} {v:14.8f} {'-':>14s} {'-':>14s} {abs(v / math.sqrt(10) - 1):12.2e}")
PY
  fi
done
