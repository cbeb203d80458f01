#!/usr/bin/env bash
# Side-by-side sampler benchmark, one run, same machine (bench-1d, bench-2d): homogen bench (2
# threads) against the GSL normal floor on the same threads, Numba (2 threads) and the hand-written
# C + GSL loop (1 thread), all from benchmarks/sampler/. Prints ns per particle-step and the ratios,
# the split of a step (tape alone, its library functions alone) and the sin/cos alternatives.
# Needs numba (python3 -m pip install numba numpy; installed here when missing) and libgsl-dev.
# Each figure is the best of REPEATS interleaved runs (default 3): on a shared machine, noise only
# ever adds time, so the minimum is the estimate least disturbed by other jobs.
# Usage: bash scripts/bench-sampler.sh [PARTICLES] [STEPS] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}; steps=${2:-1000}; repeats=${3:-3}
threads=2
swift build -c release >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
gcc -O3 -march=native -o "$tmp/em_c_gsl" benchmarks/sampler/em_c_gsl.c $(pkg-config --cflags --libs gsl) -lm
gcc -O2 -pthread -o "$tmp/floor" benchmarks/sampler/gsl_normal_floor.c $(pkg-config --cflags --libs gsl)
python3 -c "import numba" 2>/dev/null || python3 -m pip install -q numba
value() { grep -o "$1=[0-9.]*" | tail -1 | cut -d= -f2; }
least() { python3 -c "import sys; print(min(float(v) for v in sys.argv[1:] if v))" "$@"; }
for d in 1 2; do
  hs=(); hfs=(); tapes=(); libs=(); fs=(); nbs=(); cs=()
  for _ in $(seq "$repeats"); do
    out=$(.build/release/homogen bench "scenarios/bench-${d}d.toml" --particles "$n" --steps "$steps" --threads $threads)
    hs+=("$(value ns_per_particle_step <<<"$out")"); hfs+=("$(value floor_ns_per_normal <<<"$out")")
    tapes+=("$(value tape_ns_per_particle <<<"$out")"); libs+=("$(value library_functions_ns_per_particle <<<"$out")")
    fs+=("$("$tmp/floor" $((n * steps / 4)) $threads | value ns_per_normal)")
    nbs+=("$(python3 benchmarks/sampler/em_numba.py $d "$n" "$steps" $threads | value ns_per_particle_step)")
    cs+=("$("$tmp/em_c_gsl" $d "$n" "$steps" | value ns_per_particle_step)")
  done
  h=$(least "${hs[@]}"); hf=$(least "${hfs[@]}"); tape=$(least "${tapes[@]}"); lib=$(least "${libs[@]}")
  f=$(least "${fs[@]}"); nb=$(least "${nbs[@]}"); c=$(least "${cs[@]}")
  python3 - "$d" "$h" "$hf" "$f" "$nb" "$c" "$threads" "$tape" "$lib" <<'PY'
import sys
d, h, hf, f, nb, c, t, tape, lib = int(sys.argv[1]), *map(float, sys.argv[2:7]), int(sys.argv[7]), *map(float, sys.argv[8:10])
print(f"bench-{d}d  (best of each)  homogen {h:6.2f} ns ({t} threads) | GSL floor {f:5.2f} ns/normal (C), {hf:5.2f} (homogen's own) "
      f"| numba {nb:6.2f} ns ({t} threads) | c-gsl {c:6.2f} ns (1 thread)")
print(f"          homogen / ({d} x floor) = {h / (d * f):4.2f}   numba / homogen = {nb / h:4.2f}x   "
      f"c-gsl per thread / homogen per thread = {c / (h * t):4.2f}x")
print(f"          tape alone {tape:5.2f} ns, of which library functions (sin, cos, exp, ...) {lib:5.2f} ns; "
      f"homogen / ({d} x floor + library functions) = {h / (d * f + lib):4.2f}")
PY
done
# The paired-sincos alternatives to the tape's separate libmvec sin and cos (one thread; SLEEF when
# libsleef-dev is installed): benchmarks/sampler/trig_pairs.c.
if grep -qw avx2 /proc/cpuinfo; then
  sleef=(); echo "#include <sleef.h>" | gcc -E - >/dev/null 2>&1 && sleef=(-DHAVE_SLEEF -lsleef)
  gcc -O2 -mavx2 -mfma -o "$tmp/trig_pairs" benchmarks/sampler/trig_pairs.c -lmvec -lm "${sleef[@]}"
  "$tmp/trig_pairs"
  # The most that compiling bench-1d's tape could gain (one thread; compare 2 x its tape alone).
  clang -O3 -fno-math-errno -fveclib=libmvec -o "$tmp/compiled" benchmarks/sampler/compiled_coefficients.c -lmvec -lm
  "$tmp/compiled"
fi
