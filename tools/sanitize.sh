#!/usr/bin/env bash
# Address- and undefined-behaviour-sanitizer build of kernels._C (CPU kernels), then the test
# suite against it. Out-of-bounds accesses, use-after-free and undefined behaviour (overflowing
# signed arithmetic, misaligned loads, bad shifts) stop the run with a report.
#   tools/sanitize.sh                          the whole suite (slow: ASan costs about 2-3x)
#   tools/sanitize.sh tests/test_pool.py -x    any pytest arguments
# Python itself is not instrumented, so libasan must be loaded first (LD_PRELOAD), and
# libstdc++ with it: otherwise C++ exceptions thrown in the module do not reach pybind11's
# handlers and every expected error aborts instead.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_DIR:-build/sanitize}
python=${PYTHON:-python3}
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DKERNELS_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=OFF -DCMAKE_CXX_FLAGS="$flags" \
      -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=address,undefined" \
      -Dpybind11_DIR="$("$python" -m pybind11 --cmakedir)" -DPython_EXECUTABLE="$(command -v "$python")"
cmake --build "$build" -j "${JOBS:-$(nproc)}"

# The instrumented module next to a copy of the Python sources, so the normal build is untouched.
pkg=$(mktemp -d)
trap 'rm -rf "$pkg"' EXIT
cp -r "$root/python/kernels" "$pkg/"
rm -f "$pkg"/kernels/_C*.so
cp "$build"/_C*.so "$pkg/kernels/"

cxx=${CXX:-g++}
preload="$("$cxx" -print-file-name=libasan.so) $("$cxx" -print-file-name=libstdc++.so)"
[ $# -eq 0 ] && set -- tests
cd "$root"
LD_PRELOAD="$preload" \
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:${ASAN_OPTIONS:-}" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}" \
PYTHONPATH="$pkg" "$python" -m pytest -q -p no:cacheprovider "$@"
