#!/usr/bin/env bash
# Set up, build (release) and run the main job on the embedded default scenario, then plot it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release
out="runs/default-demo-$(date -u +%Y%m%d-%H%M%S)"
.build/release/homogen demo --out "$out" "$@"
python3 analysis/plot_compare.py "$out"
