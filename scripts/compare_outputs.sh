#!/usr/bin/env bash
# Runs small versions of the shipped scenarios (dendrite 2D/3D, one chunk and chunked, both
# preconditioners; every gde geometry and stage kind; the diffusion cases; the superfill
# trench, one chunk and chunked, the leveler case and a coarse via) with one binary and
# prints a SHA-256 per output file, so that two builds can be compared byte for byte:
#   bash scripts/compare_outputs.sh target/release/mesolyte /tmp/after > after.txt
#   diff before.txt after.txt
# summary.json is hashed without its wall-clock time; checkpoint.bin as written (it holds no time).
set -euo pipefail
bin=$(realpath "$1"); out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
rm -rf "$out"; mkdir -p "$out"
case_run() { # name, scenario, then --set values
    local name=$1 scen=$2; shift 2
    local args=()
    for s in "$@"; do args+=(--set "$s"); done
    "$bin" run "$root/scenarios/$scen.toml" "${args[@]}" --out "$out/$name" -q >"$out/$name.log" 2>&1 \
        || { echo "$name: run failed"; cat "$out/$name.log"; }
}
d2=(grid.nx=48 grid.ny=24 run.end_time=0.05 run.output_every=0.025)
d3=(grid.nx=24 grid.ny=16 grid.nz=16 run.end_time=0.01 run.output_every=0.005 dendrite.nucleation_density_m2=4e9)
case_run dendrite-2d dendrite-2d "${d2[@]}"
case_run dendrite-2d-jacobi dendrite-2d "${d2[@]}" dendrite.potential_preconditioner=jacobi
MESOLYTE_MAX_BINDING_BYTES=1536 case_run dendrite-2d-chunked dendrite-2d "${d2[@]}"
case_run dendrite-3d dendrite-3d "${d3[@]}"
MESOLYTE_MAX_BINDING_BYTES=6144 case_run dendrite-3d-chunked dendrite-3d "${d3[@]}"
case_run nucleation-2d dendrite-nucleation-2d run.end_time=0.1 run.output_every=0.05
g=(run.end_time=600 run.output_every=200)
case_run gde-sphere gde-sphere-array grid.nx=16 grid.ny=16 grid.nz=16 "${g[@]}"
case_run gde-diffusivity gde-gdl-diffusivity grid.nx=24 grid.ny=24 grid.nz=16 "${g[@]}"
case_run gde-permeability gde-gdl-permeability grid.nx=24 grid.ny=24 grid.nz=16 "${g[@]}"
case_run gde-cl gde-cl-oxygen grid.nx=16 grid.ny=16 grid.nz=16 "${g[@]}"
MESOLYTE_MAX_BINDING_BYTES=6144 case_run gde-cl-chunked gde-cl-oxygen grid.nx=16 grid.ny=16 grid.nz=16 "${g[@]}"
case_run diffusion-depletion diffusion-depletion-2d grid.nx=40 grid.ny=10 run.end_time=0.2 run.output_every=0.1
case_run diffusion-gaussian diffusion-gaussian-2d grid.nx=32 grid.ny=32 run.end_time=0.05 run.output_every=0.025
case_run diffusion-mode diffusion-mode-3d grid.nx=16 grid.ny=16 grid.nz=16 run.end_time=0.05 run.output_every=0.025
s2=(grid.nx=30 grid.ny=85 grid.dx=1e-8 run.end_time=8 run.output_every=1)
case_run superfill-trench superfill-trench-2d "${s2[@]}"
MESOLYTE_MAX_BINDING_BYTES=3072 case_run superfill-trench-chunked superfill-trench-2d "${s2[@]}"
case_run superfill-leveler superfill-leveler-2d run.end_time=30 run.output_every=10
case_run superfill-via superfill-via-3d grid.nx=30 grid.ny=30 grid.nz=85 grid.dx=1e-8 run.end_time=3 run.output_every=1
cd "$out"
for f in $(find . -type f ! -name '*.log' | sort); do
    case $f in
        */summary.json) printf '%s  %s\n' "$(grep -v wall_time "$f" | sha256sum | cut -c1-64)" "$f" ;;
        *) sha256sum "$f" ;;
    esac
done
