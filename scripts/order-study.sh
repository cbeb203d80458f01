#!/usr/bin/env bash
# The weak order of the particle schemes against the checked eps-PDE, on a transient case: the
# particles' cell probabilities at the final time, sampled at dt = H0/2^k (k = 0..LEVELS-1) without
# the time-step control, against the cell masses of the eps-PDE solved far finer (RESOLUTION cells
# per eps-period, step H0/2^(LEVELS+4), so that its own error is far below the finest bias). The
# bias of two test functions of the cell, w = cos(2 pi x) and w = cos(2 pi x/eps), is
# sum_g w_g (p_hat_g - p_g), with the multinomial standard error; the slope of log|bias| against
# log dt is fitted (weighted) over the levels where the bias stands out of its noise (>= 3 SE):
# about 1 for Euler–Maruyama, about 2 for weak2.
# Usage: bash scripts/order-study.sh [SCENARIO] [H0] [LEVELS] [PARTICLES] [SCHEMES]
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-scenarios/order-study-1d.toml}
h0=${2:-2e-3}; levels=${3:-7}; n=${4:-1000000}; schemes=${5:-"em weak2"}
resolution=${RESOLUTION:-128}
swift build -c release >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export HOMOGEN_CACHE_DIR="$tmp/cache"
fine=$(python3 -c "print($h0 / 2**($levels + 4))")
.build/release/homogen solve "$scenario" --resolution "$resolution" --dt "$fine" --out "$tmp/pde" --quiet >/dev/null
for scheme in $schemes; do
  for k in $(seq 0 $((levels - 1))); do
    dt=$(python3 -c "print($h0 / 2**$k)")
    .build/release/homogen sample "$scenario" --scheme "$scheme" --dt "$dt" --skip-dt-check --allow-coarse-dt \
      --particles "$n" --out "$tmp/$scheme-$k" --quiet >/dev/null 2>&1
  done
done
python3 - "$tmp" "$scenario" "$h0" "$levels" "$n" "$schemes" <<'PY'
import csv, glob, json, math, sys
import numpy as np
tmp, scenario, h0, levels, n, schemes = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6].split()
def last_csv(folder):
    return sorted(glob.glob(folder + "/densities_*.csv"))[-1]
def masses(path, column):
    rows = list(csv.DictReader(open(path)))
    lo = np.array([float(r["x_lo"]) for r in rows]); hi = np.array([float(r["x_hi"]) for r in rows])
    return 0.5 * (lo + hi), np.array([float(r[column]) for r in rows]) * (hi - lo)
inv_eps = round(1 / float(json.load(open(tmp + "/pde/summary.json"))["scenario"]["epsilon_value"]))
x, p = masses(last_csv(tmp + "/pde"), "density")
tests = {"cos(2 pi x)": np.cos(2 * np.pi * x), f"cos(2 pi x/eps)": np.cos(2 * np.pi * x * inv_eps)}
print(f"scenario {scenario}: {n} particles, dt = {h0:g}/2^k, k = 0..{levels - 1}; eps-PDE at {len(p)} cells")
for scheme in schemes:
    for name, w in tests.items():
        dts, bias, se = [], [], []
        for k in range(levels):
            _, q = masses(last_csv(f"{tmp}/{scheme}-{k}"), "density")
            b = float(np.sum(w * (q - p)))
            s = math.sqrt(max(float(np.sum(w * w * p) - np.sum(w * p) ** 2), 0) / n)
            dts.append(h0 / 2 ** k); bias.append(b); se.append(s)
        line = "  ".join(f"{d:.3g}: {b:+.2e}±{s:.0e}" for d, b, s in zip(dts, bias, se))
        use = [i for i in range(levels) if abs(bias[i]) >= 3 * se[i]]
        slope = "not enough resolved levels"
        if len(use) >= 3:
            X = np.log([dts[i] for i in use]); Y = np.log([abs(bias[i]) for i in use])
            W = np.array([(abs(bias[i]) / se[i]) ** 2 for i in use])
            A = np.vstack([X, np.ones_like(X)]).T * np.sqrt(W)[:, None]
            coef, *_ = np.linalg.lstsq(A, Y * np.sqrt(W), rcond=None)
            cov = np.linalg.inv(A.T @ A)
            slope = f"slope {coef[0]:.2f} ± {math.sqrt(cov[0, 0]):.2f} over dt = {dts[use[0]]:.3g}..{dts[use[-1]]:.3g} ({len(use)} levels)"
        print(f"{scheme:6s} {name:16s} {slope}\n       {line}")
PY
