#!/usr/bin/env bash
# Development build without pip: configure and build kernels._C into build/dev (or $BUILD_DIR)
# and copy it next to the Python sources, so `PYTHONPATH=python pytest` uses it.
#   KERNELS_CUDA=OFF|AUTO|ON (default OFF here for fast iteration), CMAKE_CUDA_ARCHITECTURES.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build/dev}
cuda=${KERNELS_CUDA:-OFF}
extra=()
[ -n "${CMAKE_CUDA_ARCHITECTURES:-}" ] && extra+=("-DCMAKE_CUDA_ARCHITECTURES=${CMAKE_CUDA_ARCHITECTURES}")
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" "${gen[@]}" -DKERNELS_CUDA="$cuda" -DCMAKE_BUILD_TYPE=Release \
    -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" -DPython_EXECUTABLE="$(command -v python3)" "${extra[@]}"
fi
cmake --build "$build_dir" -j "${JOBS:-2}"
cp "$build_dir"/_C*.so python/kernels/
