#!/usr/bin/env bash
# Set up, then run the whole test suite: Swift tests (release build), the analysis/ tests and the
# Slurm integration test (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --build-tests
swift test -c release --skip-build --disable-swift-testing
python3 -m pytest -q analysis/tests
# The Slurm integration test needs root (it installs and starts munge and Slurm daemons).
if [ "$(id -u)" = 0 ]; then
  bash scripts/slurm-integration.sh
else
  echo "test.sh: skipping scripts/slurm-integration.sh (needs root to start munged, slurmctld and slurmd)"
fi
