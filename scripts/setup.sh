#!/usr/bin/env bash
# Installs whatever is missing for Lethe on Debian 12 + Node 20, then builds it. Idempotent and quick when
# everything is already in place: apt packages (libtorch, OpenBLAS, Fashion-MNIST, libsvm, cmake), npm
# dependencies, the native addon (rebuilt when native sources change) and the TypeScript sources.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="libtorch-dev libopenblas0-openmp libgloo-dev dataset-fashion-mnist libsvm-dev cmake g++ ninja-build fonts-dejavu-core"
# --test: what only the test suite needs (headless Chromium renders the HTML report in a test)
if [ "${1:-}" = "--test" ]; then APT_PACKAGES="$APT_PACKAGES chromium"; fi
missing=""
for p in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing Debian packages:$missing" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing >&2
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies" >&2
  npm ci --no-audit --no-fund >&2
fi

addon=build/Release/lethe.node
if [ ! -f "$addon" ] || [ -n "$(find native CMakeLists.txt -newer "$addon" 2>/dev/null | head -n 1)" ]; then
  echo "setup: building the native addon (libtorch; takes a minute or two)" >&2
  npx cmake-js compile --out build -G Ninja >&2
fi

npx tsc -p tsconfig.json >&2
