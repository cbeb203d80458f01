#!/usr/bin/env bash
# Side-by-side Fokker–Planck benchmark against benchmarks/fp_scipy.py (SciPy sparse LU,
# backward Euler, same finite-volume operator): the peer's two problems, wall seconds of the
# time stepping (the peer: factorisation + stepping), and the accuracy of both final densities
# against a reference (homogen at twice the spatial resolution and 16 times the steps,
# averaged onto the peer's grid): relative L1 error.
# Needs scipy (python3 -m pip install scipy; installed here when missing).
# Usage: bash scripts/bench-solver.sh [PEERS_DIR]   (default: benchmarks)
set -euo pipefail
cd "$(dirname "$0")/.."
peers=${1:-benchmarks}
swift build -c release >/dev/null
python3 -c "import scipy" 2>/dev/null || python3 -m pip install -q scipy
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for d in 1 2; do
  base=$([ $d = 1 ] && echo 32 || echo 16)
  line=$(.build/release/homogen bench-solve $d --save-density "$tmp/homogen$d.txt")
  .build/release/homogen bench-solve $d --resolution $((2 * base)) --steps 16000 --save-density "$tmp/ref$d.txt" >/dev/null
  python3 - "$peers" "$d" "$tmp" "$line" <<'PY'
import sys, time, importlib.util
import numpy as np
peers, d, tmp, line = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
spec = importlib.util.spec_from_file_location("fp_scipy", f"{peers}/fp_scipy.py")
fp = importlib.util.module_from_spec(spec); spec.loader.exec_module(fp)
captured = {}
solve = fp.solve
def capturing(M, K, f, pi, cell, dt, steps):
    out = solve(M, K, f, pi, cell, dt, steps)
    # Re-run the same steps to capture the density (not timed).
    import scipy.sparse.linalg as spla
    lu = spla.splu((M + dt * K).tocsc())
    for _ in range(steps):
        f = lu.solve(M @ f)
    captured["rho"] = f * pi
    return out
fp.solve = capturing
fac, step, drift, mn = fp.run1d() if d == 1 else fp.run2d()
peer_seconds = fac + step
ours = float(line.split("seconds=")[1].split()[0])
ref = np.loadtxt(f"{tmp}/ref{d}.txt")
h = np.loadtxt(f"{tmp}/homogen{d}.txt")
peer = captured["rho"]
err = lambda a: np.abs(a - ref).sum() / np.abs(ref).sum()
print(f"{d}D  homogen {ours:.4f} s  scipy {peer_seconds:.4f} s (factorise {fac:.3f} + step {step:.3f})  "
      f"speed-up {peer_seconds / ours:.1f}x  |  relative L1 error vs reference: homogen {err(h):.2e}, scipy {err(peer):.2e}")
PY
done
