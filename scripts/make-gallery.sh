#!/usr/bin/env bash
# Regenerates the figures of docs/gallery.md from the scenarios in scenarios/ (about 35 minutes on
# 2 cores): runs the main job or the relevant command on each, plots the run folder, and copies
# the figures to docs/figures/ as SCENARIO-FIGURE.png. Run folders go to runs/gallery/.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
h=.build/release/homogen
out=runs/gallery
rm -rf "$out" docs/figures && mkdir -p "$out" docs/figures
copy() { cp "$out/$1/$2" "docs/figures/$1-$2"; }
for s in oscillatory-1d uniform-1d gh-equality-1d bench-1d; do
  $h compare "scenarios/$s.toml" --epsilons 1/4,1/8,1/16,1/32 --out "$out/$s" -q > "$out/$s.txt"
  python3 analysis/plot_run.py "$out/$s" >/dev/null
done
copy oscillatory-1d densities.png; copy oscillatory-1d w2.png; copy oscillatory-1d w2_vs_eps.png
copy uniform-1d densities.png; copy uniform-1d w2_vs_eps.png
copy gh-equality-1d densities.png; copy bench-1d w2.png
# edge-cheap-2d at its own 5·10⁴ particles: the time-step control names a step about 1000 times
# below the scenario's (hours of sampling, docs/gallery.md); the page runs it at 10⁴ particles.
for s in oscillatory-2d uniform-2d bench-2d edge-cheap-2d potential-2d; do
  extra=(); [ "$s" = edge-cheap-2d ] && extra=(--particles 10000)
  $h compare "scenarios/$s.toml" --out "$out/$s" -q "${extra[@]}" > "$out/$s.txt"
  python3 analysis/plot_run.py "$out/$s" >/dev/null
  copy "$s" densities.png
done
for s in laminate-2d checkerboard-2d; do
  $h effective "scenarios/$s.toml" > "$out/$s-effective.txt"
  $h solve "scenarios/$s.toml" --out "$out/$s" -q > "$out/$s.txt"
  python3 analysis/plot_run.py "$out/$s" >/dev/null
done
copy laminate-2d density.png; copy checkerboard-2d energy.png
$h sample scenarios/full-medium-2d.toml --out "$out/full-medium-2d" -q > "$out/full-medium-2d.txt"
python3 analysis/plot_run.py "$out/full-medium-2d" >/dev/null
copy full-medium-2d histograms.png
$h stationary scenarios/stationary-1d.toml --dt-sweep --out "$out/stationary-1d" > "$out/stationary-1d.txt"
$h stationary scenarios/stationary-oscillatory-2d.toml --out "$out/stationary-oscillatory-2d" > "$out/stationary-oscillatory-2d.txt"
python3 analysis/plot_run.py "$out/stationary-oscillatory-2d" >/dev/null
copy stationary-oscillatory-2d stationary.png
python3 analysis/plot_run.py "$out/stationary-1d" >/dev/null
copy stationary-1d stationary.png; copy stationary-1d bias.png
for s in separable-3d laminate-3d inclusions-3d; do
  $h effective "scenarios/$s.toml" > "$out/$s-effective.txt"
  $h compare "scenarios/$s.toml" --out "$out/$s" -q > "$out/$s.txt"
  python3 analysis/plot_run.py "$out/$s" >/dev/null
  copy "$s" densities.png
done
$h stationary scenarios/oscillatory-3d.toml --out "$out/oscillatory-3d" > "$out/oscillatory-3d.txt"
python3 analysis/plot_run.py "$out/oscillatory-3d" >/dev/null
copy oscillatory-3d stationary.png
$h solve scenarios/oscillatory-3d.toml --equation homogenised --out "$out/oscillatory-3d-homogenised" -q > "$out/oscillatory-3d-homogenised.txt"
python3 analysis/plot_run.py "$out/oscillatory-3d-homogenised" >/dev/null
copy oscillatory-3d-homogenised density.png
python3 analysis/effective_family.py "$h" "$out/family" >/dev/null
cp "$out/family/metrics.png" docs/figures/family-metrics.png
mkdir -p "$out/unit-balls"
for s in edge-cheap-2d laminate-2d; do $h effective "scenarios/$s.toml" --json > "$out/unit-balls/$s.json"; done
python3 analysis/plot_unit_balls.py "$out/unit-balls" >/dev/null
cp "$out/unit-balls/unit_balls.png" docs/figures/unit-balls.png
echo "figures in docs/figures, run folders and printed output in $out"
