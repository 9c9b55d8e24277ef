#!/usr/bin/env bash
# Installs what dlc needs to build, test and train its default config on
# Debian 12 (bookworm).  Runs apt-get as root (or through sudo).
#   build:   gcc make pkg-config libyaml-dev libopenblas-dev libstb-dev zlib1g-dev
#            libdnnl-dev (oneDNN's sgemm for the matrix products, README "Matrix
#            products"; make builds without it, OpenBLAS then computes them)
#   tests:   libcmocka-dev (C unit tests), bats (command-line tests), jq (reading
#            report.json in them), chromium (renders report.html headless; its
#            test skips without it), parallel (GNU parallel: scripts/sweep.sh
#            --hosts; it takes /usr/bin/parallel over moreutils' by a diversion),
#            python3-gensim (tests/cli/embed.bats checks that gensim reads the
#            vectors dlc embed writes; benchmark B8's peer; the test skips without it),
#            strace (resume.bats counts the writes of metrics.csv and checkpoints),
#            python3-sklearn python3-yaml (scripts/check_report.py recomputes a run's
#            figures with scikit-learn in tests/cli/report_check.bats; it skips without them)
#   MPI:     openmpi-bin libopenmpi-dev (mpirun -np N dlc train: one run over
#            several processes or machines; make builds without MPI when
#            libopenmpi-dev is missing, and its tests skip)
#   data:    dataset-fashion-mnist (the default config's data)
#   onnx:    python3-onnx (onnx.checker on exported files), libonnx-testdata
#            (ONNX's node tests, make onnx-node-tests), nodejs and npm when
#            node is missing (make test installs the npm package onnxruntime-node
#            into tests/onnx to run exported files)
# Optional, not installed here: valgrind (make valgrind), clang (make fuzz), lcov (make coverage), fortunes and
# npm (the text corpora: scripts/prepare_fortunes.py, prepare_brown.py, prepare_nlp_corpus.py),
# python3-torch (make bench's PyTorch peer, regenerating reference files),
# python3-torchvision (the reference parameter totals of configs/architectures).
set -euo pipefail
pkgs=(build-essential pkg-config libyaml-dev libopenblas-dev libstb-dev zlib1g-dev libdnnl-dev
      libcmocka-dev bats jq chromium parallel python3-gensim strace openmpi-bin libopenmpi-dev
      dataset-fashion-mnist python3-onnx libonnx-testdata python3-sklearn python3-yaml)
# a node from elsewhere (e.g. NodeSource's, which bundles npm) is kept
command -v node >/dev/null || pkgs+=(nodejs npm)
if [ "${1:-}" = "--all" ]; then
    pkgs+=(valgrind clang lcov python3-torch python3-numpy python3-torchvision)
fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: everything is installed"
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
