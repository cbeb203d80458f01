#!/usr/bin/env bash
# Set up, then run the test suite (Swift tests in a release build).
#
#   bash scripts/test.sh               everything: the unit suite, the integration suite, the
#                                      analysis/ tests, a short fuzzing run and, as root, the MPI and
#                                      Slurm integration tests (what CI runs)
#   bash scripts/test.sh unit          the fast unit suite alone (library tests in-process, under 2 min)
#   bash scripts/test.sh integration   the command-line and statistical suite alone (launches homogen,
#                                      runs the size and order studies)
#
# The two Swift suites partition the tests by one regular expression (INTEGRATION): `unit` skips
# what it matches, `integration` runs only that, so every test is in exactly one of them. A test
# that launches the homogen command, or runs a statistical study of more than a few seconds,
# belongs in INTEGRATION: its class, or its Class.method when the rest of the class is unit.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
INTEGRATION='CommandLineTests|ThreeDimensionalCommandLineTests|SolverCommandLineTests|ConventionsTests|CheckpointTests|ShardTests|SlurmScriptTests'
INTEGRATION+='|CompareFromSampleTests|StationaryTests|StationaryShardTests|MetropolisSamplerTests|W2CommandTests'
INTEGRATION+='|VerdictTests|CompareTests|WeakOrderTwoTests|SamplerStatisticsTests|StiffMediumTests'
INTEGRATION+='|StableNormTests.testDegenerateMediumIsAClearError|StableNormTests.testEffectiveCommandReportsGHNorm'
INTEGRATION+='|TransportTests.testW2CommandAgreesWithPOTAndRejectsBadFiles|SamplerBehaviourTests.testTimeStepMustResolveTheCell'
INTEGRATION+='|ReferenceCheckTests.testCompareReportsTheReferenceCheck|TimeStepControlTests.testCommandLineChoosesChecksAndRefuses'
INTEGRATION+='|TimeStepControlTests.testCompareAtTheChosenStepAgreesAndAtACoarseStepDiffers|ThreeDimensionalTests.testCompareIn3DAgreesAndHasPower'
INTEGRATION+='|StableNorm3DTests.testEffectivePrintsTheGromovHausdorffIntegrandIn3D|StableNorm3DTests.testCompareIn3DGivesWGHOnTheMetricGrid'
INTEGRATION+='|CellProblem3DTests.testEffectiveCommandIn3D'
INTEGRATION+='|TimeStepControlTests.testAStiffAnisotropicCaseIsCertifiedNearItsAdequateStep'

swift_tests() {
  swift build -c release --build-tests -Xswiftc -enable-testing
  swift test -c release --skip-build --disable-swift-testing "$@"
}

case "$mode" in
  unit)
    bash scripts/setup.sh
    swift_tests --skip "$INTEGRATION"
    ;;
  integration)
    bash scripts/setup.sh
    swift_tests --filter "$INTEGRATION"
    ;;
  all)
    bash scripts/setup.sh
    swift_tests --skip "$INTEGRATION"
    swift test -c release --skip-build --disable-swift-testing --filter "$INTEGRATION"
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
    ;;
  *)
    echo "usage: bash scripts/test.sh [unit|integration]" >&2
    exit 64
    ;;
esac
