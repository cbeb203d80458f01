#!/usr/bin/env bash
# The two measurements of docs/scaling.md: (1) throughput of 2 shards run at once against 1
# process on one thread (scaling efficiency on a 2-core machine), bench-2d, 200 000 particles,
# 1000 steps; (2) the time to merge 64 partial folders of a 2D run with 256 x 256 cells.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
h=$(pwd)/.build/release/homogen
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
s=scenarios/bench-2d.toml
now() { date +%s.%N; }
t0=$(now); $h sample $s --particles 200000 --threads 1 --out "$tmp/one" -q >/dev/null; t1=$(now)
$h sample $s --particles 200000 --threads 1 --shard 0/2 --out "$tmp/s0" -q >/dev/null &
$h sample $s --particles 200000 --threads 1 --shard 1/2 --out "$tmp/s1" -q >/dev/null &
wait; t2=$(now)
python3 -c "a=$t1-$t0; b=$t2-$t1; print(f'one process, 1 thread: {a:.2f} s; two shards at once: {b:.2f} s; efficiency {a/(2*b)*100:.0f}%')"
sed 's/^cells = .*/cells = 256/; s/^final = .*/final = 2e-5/; s/^outputs = .*/outputs = [1e-5, 2e-5]/; s/^count = .*/count = 65536/' $s > "$tmp/m.toml"
for k in $(seq 0 63); do
  $h sample "$tmp/m.toml" --shard $k/64 --threads 1 --out "$tmp/m/shard-$k" -q >/dev/null &
  if (( k % 2 == 1 )); then wait; fi
done
wait
t3=$(now); $h merge "$tmp"/m/shard-* --out "$tmp/m/merged" >/dev/null; t4=$(now)
python3 -c "print(f'merge of 64 shards (256 x 256 cells, 2 output times): {$t4-$t3:.2f} s')"
