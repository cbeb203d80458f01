#!/usr/bin/env bash
# Integration test on a real single-node Slurm cluster: installs slurm-wlm and munge if missing,
# starts munged, slurmctld and slurmd with a minimal configuration in a temporary folder, runs
# `homogen slurm --tasks 4 --submit` (a job array of 4 shards and a dependent merge job), waits,
# and checks that the merged histograms and positions are byte-identical to a single-process run.
# Stops everything it started. Run by .ci/run; by hand: bash scripts/slurm-integration.sh
# (needs root for apt-get and the daemons, or a machine with Slurm and munge already installed).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "slurm-integration: installing slurm-wlm and munge with apt-get" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
swift build -c release >/dev/null
homogen="$repo/.build/release/homogen"
work=$(mktemp -d /tmp/homogen-slurm-XXXXXX)
host=$(hostname -s)
export SLURM_CONF="$work/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=homogen
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
mkdir -p "$work/state" "$work/spool" /run/munge
started_munge=0
if ! munge -n >/dev/null 2>&1; then
  [ -f /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chmod 400 /etc/munge/munge.key; }
  chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
  munged --force
  started_munge=1
fi
cleanup() {
  [ -f "$work/slurmd.pid" ] && kill "$(cat "$work/slurmd.pid")" 2>/dev/null || true
  [ -f "$work/slurmctld.pid" ] && kill "$(cat "$work/slurmctld.pid")" 2>/dev/null || true
  if [ "$started_munge" = 1 ]; then pkill -x munged 2>/dev/null || true; fi
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 30); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 1; done
sinfo -h -o %t | grep -q idle || { echo "slurm-integration: the node did not come up"; tail "$work"/*.log; exit 1; }

# A small copy of bench-2d (8000 particles: 8 blocks, 2 per array task).
scenario="$work/small-bench-2d.toml"
sed 's/^count = .*/count = 8000/' "$repo/scenarios/bench-2d.toml" > "$scenario"
"$homogen" sample "$scenario" --positions --threads 2 --out "$work/single" --quiet >/dev/null
"$homogen" slurm "$scenario" --tasks 4 --positions --out "$work/array" --submit
for _ in $(seq 300); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 1; done
if [ ! -d "$work/array/result" ]; then
  echo "slurm-integration: no merged result"; cat "$work"/array/logs/* 2>/dev/null; tail "$work"/*.log; exit 1
fi
status=0
for f in densities_000.csv densities_001.csv positions_000.npy positions_001.npy; do
  if cmp -s "$work/single/$f" "$work/array/result/$f"; then echo "slurm-integration: $f identical"; else echo "slurm-integration: $f DIFFERS"; status=1; fi
done
[ "$status" = 0 ] && echo "slurm-integration: 1 passed, 0 failed" || echo "slurm-integration: 0 passed, 1 failed"
exit $status
