#!/usr/bin/env bash
# Installs what homogen needs and is missing on a fresh Debian machine: GSL (libgsl-dev), FFTW
# (libfftw3-dev) and LEMON (liblemon-dev), all through pkg-config, and the Python package in
# analysis/ (homogen_analysis). Safe to run again.
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

# analysis/ as the package homogen_analysis, editable (this checkout's sources), with numpy,
# matplotlib and pytest; again only when missing or installed from another checkout.
if ! python3 -c 'import os, sys, numpy, matplotlib, pytest, homogen_analysis as h
sys.exit(os.path.dirname(os.path.dirname(os.path.realpath(h.__file__))) != os.path.realpath("analysis"))' >/dev/null 2>&1; then
  echo "setup: installing analysis/ (homogen_analysis, editable) with pip" >&2
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q -e "analysis[test]"
fi
