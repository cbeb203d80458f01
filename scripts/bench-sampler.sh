#!/usr/bin/env bash
# Side-by-side sampler benchmark against the peers in ../shared/peers (bench-1d, bench-2d):
# homogen bench (2 threads), Numba (2 threads), C + GSL (1 thread). Prints ns per particle-step
# and the ratios. Usage: bash scripts/bench-sampler.sh [PARTICLES] [STEPS] [PEERS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}; steps=${2:-1000}; peers=${3:-../shared/peers}
threads=2
swift build -c release >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
gcc -O3 -march=native -o "$tmp/em_reference" "$peers/em_reference.c" $(pkg-config --cflags --libs gsl)
python3 -c "import numba" 2>/dev/null || python3 -m pip install -q numba
ns() { grep -o 'ns_per_particle_step=[0-9.]*' | tail -1 | cut -d= -f2; }
for d in 1 2; do
  h=$(.build/release/homogen bench "scenarios/bench-${d}d.toml" --particles "$n" --steps "$steps" --threads $threads | ns)
  nb=$(python3 "$peers/em_numba.py" $d "$n" "$steps" $threads | ns)
  c=$("$tmp/em_reference" $d "$n" "$steps" | ns)
  python3 - "$d" "$h" "$nb" "$c" "$threads" <<'PY'
import sys
d, h, nb, c, t = sys.argv[1], *map(float, sys.argv[2:5]), int(sys.argv[5])
print(f"bench-{d}d  homogen {h:6.2f} ns ({t} threads)  numba {nb:6.2f} ns ({t} threads)  c-gsl {c:6.2f} ns (1 thread)"
      f"  | numba/homogen = {nb / h:4.2f}x  c-gsl per thread / homogen per thread = {c / (h * t):4.2f}x")
PY
done
