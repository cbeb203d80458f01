#!/usr/bin/env bash
# Integration test of the MPI mode: installs Open MPI if missing (root), builds the separate
# product homogen-mpi (HOMOGEN_MPI=1, in .build-mpi so the default build never needs MPI), runs
# `mpirun -n 2 homogen-mpi sample` and checks the histograms and positions byte for byte against
# a single-process `homogen sample` with the same seed (2D, the Metropolised scheme, and 3D). Run by scripts/test.sh; by hand:
# bash scripts/mpi-integration.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
if ! pkg-config --exists ompi-c 2>/dev/null || ! command -v mpirun >/dev/null; then
  echo "mpi-integration: installing libopenmpi-dev and openmpi-bin with apt-get" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenmpi-dev openmpi-bin >/dev/null
fi
swift build -c release >/dev/null
HOMOGEN_MPI=1 swift build -c release --product homogen-mpi --scratch-path .build-mpi >/dev/null
work=$(mktemp -d /tmp/homogen-mpi-XXXXXX)
trap 'rm -rf "$work"' EXIT
scenario="$work/small-bench-2d.toml"
sed 's/^count = .*/count = 8000/' "$repo/scenarios/bench-2d.toml" > "$scenario"
.build/release/homogen sample "$scenario" --positions --out "$work/single" --quiet >/dev/null
mpirun --allow-run-as-root --oversubscribe -n 2 .build-mpi/release/homogen-mpi sample "$scenario" --positions --out "$work/mpi"
status=0
for f in densities_000.csv densities_001.csv positions_000.npy positions_001.npy; do
  if cmp -s "$work/single/$f" "$work/mpi/$f"; then echo "mpi-integration: $f identical"; else echo "mpi-integration: $f DIFFERS"; status=1; fi
done
# The Metropolised scheme: the same histograms and the same acceptance counts per output interval.
.build/release/homogen sample "$scenario" --scheme metropolis --out "$work/single-m" --quiet >/dev/null
mpirun --allow-run-as-root --oversubscribe -n 2 .build-mpi/release/homogen-mpi sample "$scenario" --scheme metropolis --out "$work/mpi-m"
for f in densities_000.csv densities_001.csv; do
  if cmp -s "$work/single-m/$f" "$work/mpi-m/$f"; then echo "mpi-integration: metropolis $f identical"; else echo "mpi-integration: metropolis $f DIFFERS"; status=1; fi
done
if python3 -c "import json,sys; a,b=(json.load(open(f'$work/{d}/summary.json'))['acceptance'] for d in ('single-m','mpi-m')); sys.exit(a!=b)"; then
  echo "mpi-integration: metropolis acceptance counts identical"
else
  echo "mpi-integration: metropolis acceptance counts DIFFER"; status=1
fi
# 3D: the same byte-identity on the separable 3D scenario (histograms on 8^3 cells, (N, 3) positions).
scenario3="$work/small-separable-3d.toml"
sed 's/^count = .*/count = 6000/' "$repo/scenarios/separable-3d.toml" > "$scenario3"
.build/release/homogen sample "$scenario3" --skip-dt-check --positions --out "$work/single-3d" --quiet >/dev/null
mpirun --allow-run-as-root --oversubscribe -n 2 .build-mpi/release/homogen-mpi sample "$scenario3" --skip-dt-check --positions --out "$work/mpi-3d"
for f in densities_000.csv densities_002.csv positions_002.npy; do
  if cmp -s "$work/single-3d/$f" "$work/mpi-3d/$f"; then echo "mpi-integration: 3D $f identical"; else echo "mpi-integration: 3D $f DIFFERS"; status=1; fi
done
[ "$status" = 0 ] && echo "mpi-integration: 3 passed, 0 failed" || echo "mpi-integration: some failed"
exit $status
