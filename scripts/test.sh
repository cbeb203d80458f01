#!/usr/bin/env bash
# Set up, then run the whole test suite: Swift tests (release build) and the analysis/ tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --build-tests
swift test -c release --skip-build --disable-swift-testing
python3 -m pytest -q analysis/tests
