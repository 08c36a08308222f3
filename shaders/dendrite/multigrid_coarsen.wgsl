// Multigrid for the potential: the coarse operator, run over the coarse level, as half the
// Galerkin product ½ Pᵀ A P of the fine operator with piecewise-constant P. Galerkin keeps
// the 10⁶ conductivity contrast where it is (a coarse face conducts what its fine faces do,
// whatever lies inside the cells), and the factor ½ corrects constant prolongation's double
// weight of smooth errors: for a uniform σ, PᵀAP has twice the face conductance of the same
// problem discretised on the coarse cells. With it, CG needs about 10 iterations on 64²-256²
// dendrite-like conductors; without it, 24-41 (docs/models/dendrite.md). (Along a kept,
// uncoarsened axis the Galerkin conductance is already right and ½ under-weights it; that
// costs iterations only on grids with a long periodic axis of odd length.)
// A fine face whose two cells share a parent is internal: it leaves the coarse diagonal twice.
#include "common/grid.wgsl"
#include "common/multigrid.wgsl"

const SCALE: f32 = 0.5;

@group(0) @binding(1) var<storage, read> other: GridInfo;
@group(0) @binding(2) var<storage, read> fine_gx: array<f32>;
@group(0) @binding(3) var<storage, read> fine_gy: array<f32>;
@group(0) @binding(4) var<storage, read> fine_gz: array<f32>;
@group(0) @binding(5) var<storage, read> fine_diag: array<f32>;
@group(0) @binding(6) var<storage, read_write> gx: array<f32>;
@group(0) @binding(7) var<storage, read_write> gy: array<f32>;
@group(0) @binding(8) var<storage, read_write> gz: array<f32>;
@group(0) @binding(9) var<storage, read_write> diag: array<f32>;

// Whether the fine face above fine coordinate k (of n along its axis, wrapping) is inside
// one coarse cell when the axis is coarsened by f.
fn internal(k: u32, n: u32, f: u32) -> bool {
    let above = select(k + 1u, 0u, k + 1u == n);
    return above / f == k / f;
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (!cell.valid) {
        return;
    }
    let kids = children_of(cell);
    let f = kids.f;
    var d = 0.0;
    var g = vec3<f32>(0.0);
    for (var m = 0u; m < child_count(kids); m++) {
        let k = child(kids, m);
        let j = level_index(other, k.x, k.y, k.z);
        d += fine_diag[j];
        let links = vec3<f32>(fine_gx[j], fine_gy[j], select(0.0, fine_gz[j], other.nz > 1u));
        let inside = vec3<bool>(internal(k.x, other.nx, f.x), internal(k.y, other.ny, f.y), internal(k.z, other.nz, f.z));
        d -= 2.0 * dot(select(vec3<f32>(0.0), links, inside), vec3<f32>(1.0));
        g += select(links, vec3<f32>(0.0), inside);
    }
    gx[cell.local] = SCALE * g.x;
    gy[cell.local] = SCALE * g.y;
    gz[cell.local] = SCALE * g.z;
    diag[cell.local] = SCALE * d;
}
