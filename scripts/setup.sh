#!/usr/bin/env bash
# Installs what homogen needs and is missing on a fresh Debian machine: GSL (libgsl-dev), FFTW
# (libfftw3-dev) and LEMON (liblemon-dev), all through pkg-config, and the Python packages of
# analysis/. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
pkg-config --exists gsl 2>/dev/null || need_apt+=(libgsl-dev)
pkg-config --exists fftw3 2>/dev/null || need_apt+=(libfftw3-dev)
pkg-config --exists lemon 2>/dev/null || need_apt+=(liblemon-dev)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} with apt-get" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! python3 -c "import numpy, matplotlib, pytest" >/dev/null 2>&1; then
  echo "setup: installing analysis/requirements.txt with pip" >&2
  python3 -m pip install -q -r analysis/requirements.txt
fi
