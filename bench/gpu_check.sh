#!/usr/bin/env bash
# The GPU check, one command on a machine with an NVIDIA GPU (no pip, no network): build kernels
# with CUDA, make sure it sees the GPU, run the whole test suite in parallel shards (failures
# rerun alone with KERNELS_CUDA_SYNC=1), compute-sanitizer memcheck and racecheck over a smoke
# set of CUDA tests, the edge-case selections, and the GPU benchmarks against torch.
#
#   bench/gpu_check.sh            everything, in about 9 minutes on 16 cores; exit 0 only if
#                                 every stage passed
#   bench/gpu_check.sh --dry-run  the stages that need no GPU, in under a minute: machine info,
#                                 CMake configure of the CUDA build (nothing compiled), the module
#                                 import, test collection and sharding, the sanitizer, edge-case
#                                 and benchmark command lines, the GPU benchmark list
#
# One JSON record, $OUT/gpu_check.json (bench/results/gpu_check.json without OUT), rewritten after
# every stage, so a run cut short still says what finished; logs stay in a temporary directory
# whose path is printed. Environment: OUT, PYTHON (default python3), CUDA_ARCH (default 90),
# GPU_CHECK_BUDGET_S (default 540), GPU_CHECK_SHARDS (default: the CPU count),
# GPU_CHECK_BUILD_DIR (default build/gpu-check), GPU_CHECK_SKIP (stage names to leave out),
# GPU_CHECK_TESTS (the test paths to collect and run, default tests),
# GPU_CHECK_SANITIZER_SERIAL=1 (memcheck and racecheck one after the other, not side by side).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

MODE=full
case "${1:-}" in
  "") ;;
  --dry-run) MODE=dry-run ;;
  -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
  *) echo "usage: bench/gpu_check.sh [--dry-run]" >&2; exit 2 ;;
esac

PY=${PYTHON:-$(command -v python3 || command -v python)}
# The interpreter itself, not a wrapper script (pyenv shims are): compute-sanitizer must start it.
PY=$("$PY" -c 'import sys; print(sys.executable)')
NPROC=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)
SHARDS=${GPU_CHECK_SHARDS:-$NPROC}
ARCH=${CUDA_ARCH:-90}
BUDGET=${GPU_CHECK_BUDGET_S:-540}
START=$(date +%s)
DEADLINE=$((START + BUDGET))
OUT_DIR=${OUT:-$ROOT/bench/results}
JSON=$OUT_DIR/gpu_check.json
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu_check.XXXXXX")
if [[ $MODE == dry-run ]]; then
  BUILD_DIR=$WORK/build  # configure only: leave no build tree behind
else
  BUILD_DIR=${GPU_CHECK_BUILD_DIR:-build/gpu-check}
fi
# kernels from the source tree (the build below puts the module there), and bench's pytest plugin.
# A dry run in a checkout without a built module (a clean clone after `pip install .`) uses the
# installed package instead.
if [[ $MODE == full ]] || compgen -G "$ROOT/python/kernels/_C*.so" >/dev/null; then
  export PYTHONPATH="$ROOT/python:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
else
  export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONUNBUFFERED=1
export GPU_CHECK_LOCK=$WORK/record.lock  # stages that run side by side update the record in turn
# Why later stages cannot run, set by the stage that failed; they are skipped, saying so.
BLOCKED=""      # every later stage (the module does not import, no CUDA device)
GPU_BLOCKED=""  # the stages that need the CUDA build (configure or build failed)
IDS_BLOCKED=""  # the stages that need the collected test ids (collection failed)
PYTEST=("$PY" -m pytest -q -p no:cacheprovider --continue-on-collection-errors)
OUTCOMES=(-p bench.gpu.pytest_outcomes)  # KERNELS_TEST_IDS / KERNELS_TEST_OUTCOMES, see there
read -r -a TESTS <<<"${GPU_CHECK_TESTS:-tests}"

mkdir -p "$OUT_DIR"
echo "gpu_check: $MODE; record $JSON; logs $WORK"

# ------------------------------------------------------------------ helpers

# gc ARGS: the record's helper. Its status 1 means "the stage failed"; 3 means the helper itself
# failed (it has recorded that in the stage where it could): say so and go on with the check.
gc() {
  local rc=0
  "$PY" bench/gpu_check.py --json "$JSON" "$@" || rc=$?
  if ((rc == 3)); then
    echo "gpu_check: the record's helper failed on: $1" >&2
    return 0
  fi
  return "$rc"
}
quote() { local s; s=$(printf '%q ' "$@"); echo "${s% }"; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# time_for CAP RESERVE: the seconds a stage may take: CAP, or less so that RESERVE seconds of the
# budget stay for the stages after it.
time_for() {
  local t=$((DEADLINE - $(date +%s) - $2))
  ((t > $1)) && t=$1
  ((t < 0)) && t=0
  echo "$t"
}

# should_run NAME NEEDS SECONDS [COMMAND]: 0 if the stage runs now; otherwise record why it does
# not (with the command it would have run) and return 1. NEEDS: "-" (nothing but the module),
# "gpu" (the CUDA build and a GPU) or "ids" (those and the collected test ids).
should_run() {
  local name=$1 needs=$2 secs=$3 cmd=${4:-} why=""
  if [[ " ${GPU_CHECK_SKIP:-} " == *" $name "* ]]; then
    why="GPU_CHECK_SKIP"
  elif [[ $MODE == dry-run && $needs != - ]]; then
    why="dry run"
  elif [[ -n $BLOCKED ]]; then
    why=$BLOCKED
  elif [[ $needs != - && -n $GPU_BLOCKED ]]; then
    why=$GPU_BLOCKED
  elif [[ $needs == ids && -n $IDS_BLOCKED ]]; then
    why=$IDS_BLOCKED
  elif ((secs < 10)); then
    why="out of time"
  fi
  [[ -z $why ]] && { gc stage "$name" running --set "started=$(date -u +%FT%TZ)" --set "limit_s=$secs" >/dev/null; return 0; }
  local extra=()
  [[ -n $cmd ]] && extra=(--set "command=$cmd")
  [[ $MODE == dry-run && -n $cmd ]] && echo "  would run: $cmd"
  gc stage "$name" "skipped ($why)" ${extra[@]+"${extra[@]}"}
  return 1
}

# run LOG SECONDS CMD...: CMD with its output in LOG, stopped after SECONDS; sets RC and SECS.
run() {
  local log=$1 secs=$2 t0
  shift 2
  t0=$(date +%s.%N)
  RC=0
  timeout --kill-after=10 "$secs" "$@" >"$log" 2>&1 || RC=$?
  SECS=$(since "$t0")
}

# spawn NAME SECONDS CMD...: CMD in the background, stopped after SECONDS, its output in
# $WORK/NAME.log and its exit status in $WORK/NAME.rc (where the record's helper reads both); its
# pid is added to pids.
spawn() {
  local name=$1 secs=$2
  shift 2
  (
    rc=0
    timeout --kill-after=10 "$secs" "$@" >"$WORK/$name.log" 2>&1 || rc=$?
    echo "$rc" >"$WORK/$name.rc"
  ) &
  pids+=($!)
}

gc init --mode "$MODE" --budget "$BUDGET"

# ------------------------------------------------------------------ a. machine

gc machine --python "$PY"

# ------------------------------------------------------------------ b. configure and build

PYBIND11_DIR=$("$PY" -m pybind11 --cmakedir 2>/dev/null) || PYBIND11_DIR=""
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
CONFIGURE=(cmake -S . -B "$BUILD_DIR" ${GEN[@]+"${GEN[@]}"} -DKERNELS_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$ARCH"
  -DCMAKE_BUILD_TYPE=Release -Dpybind11_DIR="$PYBIND11_DIR" -DPython_EXECUTABLE="$PY")
secs=$(time_for 120 0)
if should_run configure - "$secs"; then
  run "$WORK/configure.log" "$secs" "${CONFIGURE[@]}"
  gc configure --log "$WORK/configure.log" --rc "$RC" --seconds "$SECS" --cmd "$(quote "${CONFIGURE[@]}")" ||
    GPU_BLOCKED="configure failed"
fi

BUILD=(cmake --build "$BUILD_DIR" -j "$NPROC")
secs=$(time_for 300 200)
if should_run build gpu "$secs" "$(quote "${BUILD[@]}") && cp $BUILD_DIR/_C*.so python/kernels/"; then
  run "$WORK/build.log" "$secs" "${BUILD[@]}"
  module=""
  if ((RC == 0)); then
    for so in "$BUILD_DIR"/_C*.so; do
      [[ -e $so ]] && cp "$so" python/kernels/ && module=python/kernels/$(basename "$so")
    done
  fi
  gc build --log "$WORK/build.log" --rc "$RC" --seconds "$SECS" --cmd "$(quote "${BUILD[@]}")" \
    --jobs "$NPROC" --module "$module" || GPU_BLOCKED="build failed"
fi

# ------------------------------------------------------------------ the module imports; c. it sees the GPU

PROBE='import json, sys, kernels
info = dict(kernels.build_info(), module=kernels._C.__file__)
json.dump(info, open(sys.argv[1], "w"))'
if should_run import - "$(time_for 60 0)"; then
  run "$WORK/import.log" 60 "$PY" -c "$PROBE" "$WORK/build_info.json"
  if ((RC == 0)); then
    gc stage import passed --seconds "$SECS" --json-file "build_info=$WORK/build_info.json"
  else
    gc stage import failed --seconds "$SECS" --tail "log_tail=$WORK/import.log"
    BLOCKED="the module does not import"
  fi
fi

CUDA_PROBE='import json, sys, kernels
info = kernels.build_info()
out = {"is_available": kernels.cuda.is_available(), "cuda_compiled": info["cuda_compiled"],
       "cuda_archs": info["cuda_archs"], "cuda_runtime": info["cuda_runtime"], "devices": info["cuda_devices"]}
if out["is_available"] and out["devices"]:
    x = kernels.arange(1000, dtype=kernels.float32, device="cuda")
    out["sum_of_arange_1000"] = (x * 2).sum().item()  # 999000: a kernel ran and came back
    kernels.cuda.synchronize()
json.dump(out, open(sys.argv[1], "w"), default=str)
sys.exit(0 if out["is_available"] and out["devices"] and out["sum_of_arange_1000"] == 999000 else 1)'
if should_run cuda_available gpu "$(time_for 60 0)" "$PY -c <probe: kernels.cuda.is_available(), build_info()['cuda_devices']>"; then
  run "$WORK/cuda.log" 60 "$PY" -c "$CUDA_PROBE" "$WORK/cuda.json"
  if ((RC == 0)); then
    gc stage cuda_available passed --seconds "$SECS" --json-file "probe=$WORK/cuda.json"
  else
    gc stage cuda_available failed --seconds "$SECS" --json-file "probe=$WORK/cuda.json" \
      --tail "log_tail=$WORK/cuda.log" --set "error=kernels.cuda.is_available() is False or no CUDA device found"
    echo "gpu_check: FAILED: kernels sees no CUDA device (see $WORK/cuda.log); the GPU stages are skipped" >&2
    BLOCKED="no CUDA device"
  fi
fi

# ------------------------------------------------------------------ d. the test suite in shards

COLLECT=("${PYTEST[@]}" --collect-only "${TESTS[@]}")
if should_run collect - "$(time_for 120 0)"; then
  run "$WORK/collect.log" "$(time_for 120 0)" env OMP_NUM_THREADS=1 "${COLLECT[@]}"
  gc collect --log "$WORK/collect.log" --rc "$RC" --seconds "$SECS" --cmd "$(quote "${COLLECT[@]}")" \
    --work "$WORK" --shards "$SHARDS" || IDS_BLOCKED="collection failed"
fi

THREADS=$((NPROC / SHARDS > 0 ? NPROC / SHARDS : 1))
SHARD_CMD="$SHARDS x: KERNELS_TEST_IDS=shardK.ids KERNELS_TEST_OUTCOMES=shardK.jsonl OMP_NUM_THREADS=$THREADS $(quote "${PYTEST[@]}" "${OUTCOMES[@]}" "${TESTS[@]}")"
secs=$(time_for 240 170)
if should_run tests ids "$secs" "$SHARD_CMD"; then
  t0=$(date +%s.%N)
  pids=()
  for ((k = 0; k < SHARDS; k++)); do
    spawn "shard$k" "$secs" env KERNELS_TEST_IDS="$WORK/shard$k.ids" KERNELS_TEST_OUTCOMES="$WORK/shard$k.jsonl" \
      OMP_NUM_THREADS=$THREADS "${PYTEST[@]}" "${OUTCOMES[@]}" "${TESTS[@]}"
  done
  wait "${pids[@]}" || true
  gc tests --work "$WORK" --seconds "$(since "$t0")" --cmd "$SHARD_CMD"
fi

RERUN_CMD="per file with failures: KERNELS_CUDA_SYNC=1 KERNELS_TEST_IDS=rerun_K.ids $(quote "${PYTEST[@]}" "${OUTCOMES[@]}") FILE"
secs=$(time_for 60 150)
if should_run rerun_failures ids "$secs" "$RERUN_CMD"; then
  t0=$(date +%s.%N)
  pids=()
  while IFS=$'\t' read -r k file; do
    spawn "rerun_$k" "$secs" env KERNELS_CUDA_SYNC=1 KERNELS_TEST_IDS="$WORK/rerun_$k.ids" \
      KERNELS_TEST_OUTCOMES="$WORK/rerun_$k.jsonl" OMP_NUM_THREADS=1 "${PYTEST[@]}" "${OUTCOMES[@]}" "$file"
  done < <("$PY" bench/gpu_check.py rerun_split --work "$WORK")
  ((${#pids[@]})) && { wait "${pids[@]}" || true; }
  gc rerun --work "$WORK" --seconds "$(since "$t0")" --cmd "$RERUN_CMD"
fi

# ------------------------------------------------------------------ e. compute-sanitizer over a smoke set

SMOKE_FILES=()
if [[ -s $WORK/ids.txt ]]; then
  echo "gpu_check: sanitizer smoke set per file: $(gc smoke --ids "$WORK/ids.txt" --out "$WORK/smoke.ids")"
  mapfile -t SMOKE_FILES < <(sed 's/::.*//' "$WORK/smoke.ids" | grep . | sort -u)
fi
sanitizer_cmd() {  # sanitizer_cmd TOOL: the whole command line, as an array in SAN
  SAN=(env KERNELS_CUDA_ALLOC_EXACT=1 KERNELS_TEST_IDS="$WORK/smoke.ids" KERNELS_TEST_OUTCOMES="$WORK/$1.jsonl"
    OMP_NUM_THREADS=4 compute-sanitizer --tool "$1" --target-processes all --error-exitcode 86 --print-limit 100
    "${PYTEST[@]}" "${OUTCOMES[@]}" "${SMOKE_FILES[@]}")
}
sanitize() {  # sanitize TOOL SECONDS: run one tool and record it
  local tool=$1 secs=$2
  sanitizer_cmd "$tool"
  run "$WORK/$tool.log" "$secs" "${SAN[@]}"
  gc sanitizer "$tool" --log "$WORK/$tool.log" --rc "$RC" --seconds "$SECS" --cmd "$(quote "${SAN[@]}")" \
    --outcomes "$WORK/$tool.jsonl"
}
if ((${#SMOKE_FILES[@]} == 0)); then
  for tool in memcheck racecheck; do
    IDS_BLOCKED=${IDS_BLOCKED:-no CUDA tests collected for the smoke set} should_run "$tool" ids 0 || true
  done
elif [[ ${GPU_CHECK_SANITIZER_SERIAL:-0} == 1 ]]; then
  for tool in memcheck racecheck; do
    sanitizer_cmd "$tool"
    secs=$(time_for 75 $([[ $tool == memcheck ]] && echo 150 || echo 80))
    if should_run "$tool" ids "$secs" "$(quote "${SAN[@]}")"; then sanitize "$tool" "$secs"; fi
  done
else
  # Side by side: separate processes, each with its own context on the GPU.
  secs=$(time_for 90 90)
  pids=()
  for tool in memcheck racecheck; do
    sanitizer_cmd "$tool"
    if should_run "$tool" ids "$secs" "$(quote "${SAN[@]}")"; then
      sanitize "$tool" "$secs" &
      pids+=($!)
    fi
  done
  ((${#pids[@]})) && { wait "${pids[@]}" || true; }
fi

# ------------------------------------------------------------------ f. edge cases

EDGE_CMD="per selection: $(quote "${PYTEST[@]}" "${OUTCOMES[@]}" "${TESTS[@]}" -k EXPR) with EXPR one of: $(gc edge-selections | cut -f2 | paste -sd '|')"
secs=$(time_for 60 80)
if should_run edge_cases gpu "$secs" "$EDGE_CMD"; then
  t0=$(date +%s.%N)
  pids=()
  while IFS=$'\t' read -r label expr; do
    spawn "edge_$label" "$secs" env KERNELS_TEST_OUTCOMES="$WORK/edge_$label.jsonl" OMP_NUM_THREADS=2 \
      "${PYTEST[@]}" "${OUTCOMES[@]}" "${TESTS[@]}" -k "$expr"
  done < <(gc edge-selections)
  wait "${pids[@]}" || true
  gc edge --work "$WORK" --seconds "$(since "$t0")" --cmd "$EDGE_CMD"
fi

# ------------------------------------------------------------------ g. GPU benchmarks against torch

LIST=("$PY" -m bench --device cuda --list)
if should_run bench_list - "$(time_for 60 0)"; then
  run "$WORK/bench_list.log" 60 "${LIST[@]}"
  gc stage bench_list "$( ((RC == 0)) && echo passed || echo failed)" --seconds "$SECS" \
    --set "command=$(quote "${LIST[@]}")" --set "cases=$(grep -c 'device cuda' "$WORK/bench_list.log" || true)" \
    --tail "listing=$WORK/bench_list.log"
fi

BENCH=("$PY" -m bench --device cuda --out "$WORK/bench" --name gpu_bench)
secs=$(time_for 150 0)
if should_run bench gpu "$secs" "$(quote "${BENCH[@]}")"; then
  run "$WORK/bench.log" "$secs" "${BENCH[@]}"
  gc bench --results "$WORK/bench/gpu_bench.json" --log "$WORK/bench.log" --rc "$RC" --seconds "$SECS" \
    --cmd "$(quote "${BENCH[@]}")"
fi

# ------------------------------------------------------------------ h. summary

echo "gpu_check: $(($(date +%s) - START)) s; record $JSON; logs $WORK"
gc summary --final
