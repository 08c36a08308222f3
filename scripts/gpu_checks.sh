#!/usr/bin/env bash
# GPU checks in one go, for a machine with a real GPU but no Rust toolchain.
#
#   bash scripts/gpu_checks.sh prepare        # here: build and copy stripped binaries to .devbin/
#   bash scripts/gpu_checks.sh run OUTDIR     # there: bench, verification suites, GPU-sized runs
#
# The machine needs a Vulkan loader. NVIDIA's Vulkan driver lives in libGLX_nvidia.so.0,
# which needs glvnd's GLX library too: with libvulkan1 alone the loader reports "Could not
# get 'vkCreateInstance'" and finds no adapter. On the lent machines of this project, unpack
# the Debian packages libvulkan1 libglvnd0 libglx0 libgl1 libegl1 libopengl0 libgles2 there
# (dpkg -x pkg.deb /; ldconfig) before `run`.
#
# `run` keeps its logs and small results in /tmp/gpu-checks and packs them into
# OUTDIR/gpu-checks.tgz after every stage, so a run cut short still leaves what it finished.
# Each stage has its own time limit (seconds, from the environment); STAGES picks stages
# (default "bench dendrite-3d sweep suites"), SUITES the verification binaries of the last one.
# The `superfill` stage (about 11 minutes at most; not in the default, which fills a session
# of its own) times FiPy's trench, the shipped via and the via at 2.5 nm:
#   STAGES=superfill bash scripts/gpu_checks.sh run OUTDIR
# ANY_ADAPTER=1 runs on whatever adapter the machine has (to try the script on lavapipe).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.devbin

prepare() {
    set -e
    cargo build --release --bins --benches --tests
    rm -rf "$BIN" && mkdir -p "$BIN"
    cp target/release/mesolyte "$BIN/"
    for name in bandwidth dendrite_verification gde_verification superfill_verification \
        gpu_fields solvers reduce; do
        # The newest build of each test/bench executable (cargo names them name-<hash>).
        exe=$(ls -t target/release/deps/"$name"-* | grep -v '\.d$' | head -1)
        cp "$exe" "$BIN/$name"
    done
    strip "$BIN"/*
    du -sh "$BIN"
}

stage() { # stage NAME LIMIT_S COMMAND...: run with a limit, log to OUTDIR/NAME.txt, time it
    local name=$1 limit=$2
    shift 2
    local t0=$SECONDS
    timeout "$limit" "$@" >"$OUT_DIR/$name.txt" 2>&1
    local rc=$?
    echo "$name: rc $rc, $((SECONDS - t0)) s" | tee -a "$OUT_DIR/stages.txt"
    pack
}

pack() { # the results so far, replaced atomically
    local part=/tmp/gpu-checks.$BASHPID.tgz
    tar czf "$part" -C "$OUT_DIR" . && mv -f "$part" "$DEST/gpu-checks.tgz"
}

run() {
    DEST=$1
    OUT_DIR=/tmp/gpu-checks
    mkdir -p "$DEST" "$OUT_DIR"
    export XDG_RUNTIME_DIR=/tmp
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem \
        --format=csv >"$OUT_DIR/nvidia-smi.txt" 2>&1
    "$BIN/mesolyte" info >"$OUT_DIR/info.txt" 2>&1
    if [[ -z ${ANY_ADAPTER:-} ]] && ! grep -qi nvidia "$OUT_DIR/info.txt"; then
        # The loader did not find NVIDIA's Vulkan driver on its own: point it there.
        export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
        "$BIN/mesolyte" info >"$OUT_DIR/info.txt" 2>&1
    fi
    cat "$OUT_DIR/info.txt"
    if [[ -z ${ANY_ADAPTER:-} ]]; then
        grep -qi nvidia "$OUT_DIR/info.txt" || { echo "no NVIDIA adapter"; return 1; }
        export MESOLYTE_ADAPTER=nvidia
    fi

    local stages=" ${STAGES:-bench dendrite-3d sweep suites} "
    # 1. Bandwidth of every kernel against copy, alone on the GPU.
    [[ $stages == *" bench "* ]] && MESOLYTE_BENCH_SCALE=${SCALE:-4} stage bench "${BENCH_S:-150}" "$BIN/bandwidth" --bench
    cat "$OUT_DIR/bench.txt" 2>/dev/null
    [[ $stages == *" dendrite-3d "* ]] && dendrite_3d
    [[ $stages == *" sweep "* ]] && sweep
    [[ $stages == *" suites "* ]] && suites
    [[ $stages == *" superfill "* ]] && superfill
    pack
    cat "$OUT_DIR/stages.txt"
}

dendrite_3d() {
    # 2. The GPU-sized dendrite scenario, alone on the GPU, so its wall time means something.
    # MESOLYTE_PROFILE_SOLVES: each output prints the potential solves' share of the wall
    # time in a real run (issue 3's target: at most half), into dendrite-3d.txt.
    local runs=/tmp/mesolyte-runs
    stage dendrite-3d "${D3_S:-200}" env MESOLYTE_PROFILE_SOLVES=1 "$BIN/mesolyte" run \
        scenarios/dendrite-3d.toml --out "$runs/dendrite-3d"
    cp "$runs"/dendrite-3d/{metrics.csv,summary.json} "$OUT_DIR/" 2>/dev/null
    last=$(ls "$runs"/dendrite-3d/*.vti 2>/dev/null | sort | tail -1)
    [ -n "$last" ] && python3 scripts/dendrite_picture.py "$last" "$OUT_DIR/dendrite-3d.png" \
        >"$OUT_DIR/picture.txt" 2>&1
    pack
    grep MESOLYTE_PROFILE_SOLVES "$OUT_DIR/dendrite-3d.txt" | tail -3
    tail -5 "$OUT_DIR/dendrite-3d.txt"
}

sweep() {
    # 3. Eight small 2D runs (Hong's 200x200 case, first seconds) one at a time and eight at
    # once: what concurrent runs gain on a GPU that one small run leaves mostly idle.
    local runs=/tmp/mesolyte-runs p
    for p in 1 8; do
        stage "sweep-parallel-$p" "${SWEEP_S:-90}" "$BIN/mesolyte" sweep scenarios/dendrite-2d.toml \
            --vary dendrite.applied_voltage_V=lin:-0.24:-0.45:8 --set run.end_time=${SWEEP_END:-4} \
            --set run.output_every=2 --parallel $p -q --out "$runs/sweep-$p"
        cp "$runs/sweep-$p/sweep.csv" "$OUT_DIR/sweep-parallel-$p.csv" 2>/dev/null
    done
    pack
    grep sweep- "$OUT_DIR/stages.txt"
}

# 4. Verification suites on the real GPU, and the catalyst-layer run, side by side.
suites() {
    local runs=/tmp/mesolyte-runs suite
    for suite in ${SUITES:-dendrite_verification gde_verification gpu_fields solvers reduce gde-cl-oxygen}; do
        if [[ $suite == gde-cl-oxygen ]]; then
            stage gde-cl-oxygen "${TEST_S:-240}" "$BIN/mesolyte" run scenarios/gde-cl-oxygen.toml \
                --out "$runs/gde-cl-oxygen" &
        else
            stage "$suite" "${TEST_S:-240}" "$BIN/$suite" --test-threads 4 &
        fi
    done
    wait
    cp "$runs/gde-cl-oxygen/summary.json" "$OUT_DIR/cl-summary.json" 2>/dev/null
    cp "$runs/gde-cl-oxygen/metrics.csv" "$OUT_DIR/cl-metrics.csv" 2>/dev/null
    grep -h "test result\|FAILED\|panicked" "$OUT_DIR"/*_verification.txt "$OUT_DIR"/gpu_fields.txt 2>/dev/null
}

# 5. superfill (issue 19): FiPy's trench to 7.8 s (lavapipe on the 2-core AMD EPYC: 15 s;
# FiPy 4.0.3 there 282-400 s), once plainly and once profiled kernel by kernel; the shipped
# quarter via (612 000 cells, 26 min on that CPU); the same via at 2.5 nm (4.9 million
# cells, 1.1 GiB; 44 h there by its own estimate), which reports how far it got if the limit
# stops it (outputs every 0.25 s; the fill came at 5.37 and 5.40 s at 10 and 5 nm).
superfill() {
    local runs=/tmp/mesolyte-runs name
    local quiet=(--no-pictures) # the header (memory, estimated time) goes into the log
    stage superfill-trench "${TRENCH_S:-60}" "$BIN/mesolyte" run scenarios/superfill-trench-2d.toml \
        --set run.end_time=7.8 --out "$runs/superfill-trench" "${quiet[@]}"
    stage superfill-trench-profile "${TRENCH_S:-60}" env MESOLYTE_PROFILE=1 "$BIN/mesolyte" run \
        scenarios/superfill-trench-2d.toml --set run.end_time=7.8 \
        --out "$runs/superfill-trench-profile" "${quiet[@]}"
    stage superfill-via "${VIA_S:-240}" "$BIN/mesolyte" run scenarios/superfill-via-3d.toml \
        --out "$runs/superfill-via" "${quiet[@]}"
    stage superfill-via-2.5nm "${VIA_FINE_S:-300}" "$BIN/mesolyte" run scenarios/superfill-via-3d.toml \
        --set grid.nx=120 --set grid.ny=120 --set grid.nz=340 --set grid.dx=2.5e-9 \
        --set run.end_time=6 --out "$runs/superfill-via-2.5nm" "${quiet[@]}"
    for name in superfill-trench superfill-via superfill-via-2.5nm; do
        cp "$runs/$name/metrics.csv" "$OUT_DIR/$name-metrics.csv" 2>/dev/null
        cp "$runs/$name/summary.json" "$OUT_DIR/$name-summary.json" 2>/dev/null
    done
    pack
    grep superfill "$OUT_DIR/stages.txt"
}

case "${1:-}" in
prepare) prepare ;;
run) run "${2:?OUTDIR}" ;;
*) echo "usage: $0 prepare | run OUTDIR" >&2; exit 2 ;;
esac
