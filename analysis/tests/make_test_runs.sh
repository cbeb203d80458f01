#!/usr/bin/env bash
# Regenerates the small run folders in data/ that the figure tests render (commit the result).
# Usage (from the repository root, after `swift build -c release`): bash analysis/tests/make_test_runs.sh
set -euo pipefail
cd "$(dirname "$0")"
h=../../.build/release/homogen
rm -rf data && mkdir -p data
cat > data/small-1d.toml <<'TOML'
name = "small-1d"
description = "small 1D scenario for the figure tests"
dimension = 1
epsilon = "1/4"
[medium]
B = "2 + sin(2*pi*y)"
[equilibrium]
pi = "(1 + 0.5*cos(2*pi*x)) * (1 + 0.5*cos(2*pi*y))"
[initial]
f = "1 + 0.5*cos(2*pi*x)"
[time]
final = 0.4
outputs = [0.0, 0.005, 0.01]
dt = 2e-4
[particles]
count = 2000
seed = 1
[grid]
cells = 16
TOML
sed 's/^name = "small-1d"/name = "small-2d"/; s/^dimension = 1/dimension = 2/; s/^B = .*/B = ["2 + sin(2*pi*y1)", "2 + cos(2*pi*y2)"]/; s/^pi = .*/pi = "(1 + 0.5*cos(2*pi*x1)) * (1 + 0.5*cos(2*pi*y1)*cos(2*pi*y2))"/; s/^f = .*/f = "1 + 0.5*cos(2*pi*x2)"/; s/^cells = 16/cells = 8/; s/^dt = 2e-4/dt = 1e-4/' data/small-1d.toml > data/small-2d.toml
$h sample data/small-1d.toml --out data/sample-1d -q >/dev/null
$h compare data/small-1d.toml --bootstrap 19 --epsilons 1/4,1/8 --out data/compare-1d -q >/dev/null
$h compare data/small-2d.toml --bootstrap 9 --out data/compare-2d -q >/dev/null
$h solve data/small-1d.toml --dt 1e-4 --out data/solve-1d -q >/dev/null
$h stationary data/small-1d.toml --dt 1e-4 --dt-sweep --out data/stationary-1d >/dev/null
$h sample data/small-2d.toml --out data/sample-2d -q >/dev/null
$h solve data/small-2d.toml --dt 1e-4 --out data/solve-2d -q >/dev/null
$h stationary data/small-2d.toml --dt 1e-4 --final 0.02 --out data/stationary-2d >/dev/null
sed 's/^name = "small-2d"/name = "small-3d"/; s/^dimension = 2/dimension = 3/; s/^B = .*/B = ["2 + sin(2*pi*y1)", "2 + cos(2*pi*y2)", "2"]/; s/^pi = .*/pi = "(1 + 0.5*cos(2*pi*x1)) * (1 + 0.5*cos(2*pi*y1)) * (1 + 0.3*cos(2*pi*x3))"/; s/^f = .*/f = "1 + 0.5*cos(2*pi*x2)*cos(2*pi*x3)"/; s/^cells = 8/cells = 4/; s/^count = 2000/count = 4000/' data/small-2d.toml > data/small-3d.toml
$h sample data/small-3d.toml --out data/sample-3d -q >/dev/null
$h solve data/small-3d.toml --dt 1e-4 --out data/solve-3d -q >/dev/null
$h stationary data/small-3d.toml --dt 1e-4 --final 0.02 --out data/stationary-3d >/dev/null
$h compare data/small-3d.toml --bootstrap 9 --out data/compare-3d -q >/dev/null
python3 ../effective_family.py "$h" data/family >/dev/null
mkdir -p data/gh
for s in laminate-2d edge-cheap-2d; do $h effective "../../scenarios/$s.toml" --json > "data/gh/$s.json"; done
rm -f data/*/*.png data/*/*.npy
du -sh data
