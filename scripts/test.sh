#!/usr/bin/env bash
# Set up, then run the whole test suite: Swift tests (release build), the analysis/ tests, a
# short fuzzing run and,
# as root, the MPI and Slurm integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --build-tests -Xswiftc -enable-testing
swift test -c release --skip-build --disable-swift-testing
python3 -m pytest -q analysis/tests
# About a minute of fuzzing (scenario loader and expression pipeline, 30 s each); longer runs:
# `bash scripts/fuzz.sh SECONDS`.
bash scripts/fuzz.sh 30
# The Slurm and MPI integration tests need root (they install Slurm, munge and Open MPI, and
# start the Slurm daemons).
if [ "$(id -u)" = 0 ]; then
  bash scripts/mpi-integration.sh
  bash scripts/slurm-integration.sh
else
  echo "test.sh: skipping scripts/mpi-integration.sh and scripts/slurm-integration.sh (need root)"
fi
