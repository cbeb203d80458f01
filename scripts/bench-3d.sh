#!/usr/bin/env bash
# The 3D benchmarks, one run, same machine, with the peers beside them:
#  1. Fokker–Planck, 64^3 cells, 100 steps (`homogen bench-solve 3`) against scripts/fp_scipy_3d.py,
#     the same scheme (Lie splitting into three batches of line solves) in SciPy sparse (splu);
#  2. grid W2 at 64^3 (`homogen w2 --grid`, back-and-forth) and, at 16^3, against POT's exact emd2
#     between the cell-centre measures (Tests/Data/pot_grid3d_reference.json);
#  3. the sampler in 3D (`homogen bench scenarios/bench-3d.toml`) against bench-1d's ns per
#     particle-step, with the GSL normal floor as `homogen bench` prints it.
#  4. the 3D cell problem at 64^3 (`homogen effective --resolution 64`: primal Q1 and dual
#     Raviart-Thomas bounds at 16^3, 32^3 and 64^3, Romberg estimate) on a smooth medium
#     (scenarios/inclusions-3d.toml) and on the contrast-10 checkerboard, with the bracket width.
# Needs numpy and scipy (installed here when missing).
# Usage: bash scripts/bench-3d.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
python3 -c "import scipy" 2>/dev/null || python3 -m pip install -q scipy
h=.build/release/homogen
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
value() { grep -o "$1=[0-9.e+-]*" | tail -1 | cut -d= -f2; }

echo "== 1. Fokker-Planck, 64^3 cells, 100 steps"
ours=$($h bench-solve 3 --steps 100 --save-density "$tmp/homogen.txt")
peer=$(python3 scripts/fp_scipy_3d.py 64 100 --save "$tmp/peer.txt")
echo "homogen: $ours"
echo "peer:    $peer"
python3 - "$tmp" "$(value seconds <<<"$ours")" "$(value total_s <<<"$peer")" <<'PY'
import sys
import numpy as np
tmp, ours, peer = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
a, b = np.loadtxt(f"{tmp}/homogen.txt"), np.loadtxt(f"{tmp}/peer.txt")
print(f"ratio peer/homogen = {peer / ours:.1f}x; the two final densities differ by {np.abs(a - b).max() / np.abs(b).max():.1e} (max, relative)")
PY

echo "== 2. grid W2"
python3 - "$tmp" <<'PY'
import json, sys
import numpy as np
tmp = sys.argv[1]
n = 64
c = (np.arange(n) + 0.5) / n
x = np.meshgrid(c, c, c, indexing="ij")
a = (1 + 0.5 * np.cos(2 * np.pi * x[0])) * (1 + 0.3 * np.cos(8 * np.pi * x[1]))
b = (1 + 0.5 * np.cos(2 * np.pi * x[0])) * (1 + 0.4 * np.sin(2 * np.pi * x[2]))
np.save(f"{tmp}/a64.npy", a); np.save(f"{tmp}/b64.npy", b)
ref = json.load(open("Tests/Data/pot_grid3d_reference.json"))
for g in ref["grids"]:
    m = g["n"]
    c = (np.arange(m) + 0.5) / m
    p = np.stack(np.meshgrid(c, c, c, indexing="ij"), -1)
    for side in ("a", "b"):
        spec, f = g[side], np.full((m, m, m), g[side]["floor"])
        for bump in spec["bumps"]:
            d = np.abs(p - np.array(bump[:3])); d = np.minimum(d, 1 - d)
            f += bump[4] * np.exp(-(d ** 2).sum(-1) / (2 * bump[3] ** 2))
        np.save(f"{tmp}/{g['name'].replace(' ', '_')}_{side}.npy", f)
PY
$h w2 --grid "$tmp/a64.npy" "$tmp/b64.npy" --time --quiet 2>"$tmp/w2.err" | sed 's/^/W2 at 64^3 = /'
grep -o "seconds=[0-9.]*" "$tmp/w2.err" | sed 's/^/  /'
python3 -c "import json; [print(g['name'], g['w2']) for g in json.load(open('Tests/Data/pot_grid3d_reference.json'))['grids']]" | while read -r line; do
  name=${line% *}; pot=${line##* }
  ours=$($h w2 --grid "$tmp/${name// /_}_a.npy" "$tmp/${name// /_}_b.npy" --quiet 2>/dev/null)
  python3 -c "import sys; o, p = float(sys.argv[2]), float(sys.argv[3]); print(f'16^3 {sys.argv[1]:14s} homogen {o:.5f}  POT emd2 {p:.5f}  difference {100 * (o - p) / p:+.1f}%')" "$name" "$ours" "$pot"
done

echo "== 3. sampler"
one=$($h bench scenarios/bench-1d.toml --steps 1000)
three=$($h bench scenarios/bench-3d.toml --steps 1000)
echo "$three" | tail -4
python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'3D {b:.2f} ns per particle-step, bench-1d {a:.2f}: ratio {b / a:.2f}')" \
  "$(value ns_per_particle_step <<<"$one")" "$(value ns_per_particle_step <<<"$three")"

echo "== 4. cell problem at 64^3 (levels 16, 32, 64; primal and dual)"
for scenario in scenarios/inclusions-3d.toml scenarios/checkerboard-contrast10-3d.toml; do
  start=$(date +%s.%N)
  json=$($h effective "$scenario" --resolution 64 --json --no-gh)
  end=$(date +%s.%N)
  python3 - "$json" "$start" "$end" "$scenario" <<'PY'
import json, sys
j = json.loads(sys.argv[1]); s = float(sys.argv[3]) - float(sys.argv[2])
first = lambda v: v["values"][0] if isinstance(v, dict) else v
a, lo, up = first(j["A_hom"]), first(j["A_hom_bounds"]["lower"]), first(j["A_hom_bounds"]["upper"])
w = max((up[i][i] - lo[i][i]) / lo[i][i] for i in range(3))
print(f"{sys.argv[4]:44s} {s:6.2f} s  A_hom11 {a[0][0]:.8f}  bracket [{lo[0][0]:.6f}, {up[0][0]:.6f}]  width {100 * w:.3g}%  {j['cell_iterations']} CG iterations")
PY
done
