// The multigrid levels' coarse operator (src/models/dendrite/multigrid.rs), shared by the
// kernel that builds one level (solvers/multigrid_coarsen.wgsl) and the one that builds the
// bottom levels together (solvers/multigrid_bottom.wgsl). Requires common/grid.wgsl and
// solvers/include/multigrid.wgsl.
//
// The coarse operator as half the Galerkin product ½ PᵀAP of the fine operator with
// piecewise-constant P. Galerkin keeps the 10⁶ conductivity contrast where it is (a coarse
// face conducts what its fine faces do, whatever lies inside the cells), and the factor ½
// corrects constant prolongation's double weight of smooth errors: for a uniform σ, PᵀAP has
// twice the face conductance of the same problem discretised on the coarse cells. With it,
// CG needs about 10 iterations on 64²-256² dendrite-like conductors; without it, 24-41
// (docs/models/dendrite.md). (Along a kept, uncoarsened axis the Galerkin conductance is
// already right and ½ under-weights it; that costs iterations only on grids with a long
// periodic axis of odd length.)
const GALERKIN_SCALE: f32 = 0.5;

// Whether the fine face above fine coordinate k (of n along its axis, wrapping) is inside
// one coarse cell when the axis is coarsened by f.
fn internal(k: u32, n: u32, f: u32) -> bool {
    let above = select(k + 1u, 0u, k + 1u == n);
    // f is 1 or 2: a shift, not a division (which a CPU device does lane by lane).
    return above >> (f - 1u) == k >> (f - 1u);
}

// The coarse cell's (gx, gy, gz, diag) over its children `kids` on the fine level `fine`.
// The including shader provides `fn fine_operator(fine: GridInfo, k: vec3<u32>, j: u32) ->
// vec4<f32>`, the fine level's (gx, gy, gz, diag) at coordinates k, local index j, read or
// computed from wherever it keeps that level. A fine face
// whose two cells share a parent is internal: it leaves the coarse diagonal twice.
fn galerkin_entry(fine: GridInfo, kids: Children) -> vec4<f32> {
    let f = kids.f;
    var d = 0.0;
    var g = vec3<f32>(0.0);
    for (var m = 0u; m < child_count(kids); m++) {
        let k = child(kids, m);
        let a = fine_operator(fine, k, level_index(fine, k.x, k.y, k.z));
        d += a.w;
        let links = vec3<f32>(a.x, a.y, select(0.0, a.z, fine.nz > 1u));
        let inside = vec3<bool>(internal(k.x, fine.nx, f.x), internal(k.y, fine.ny, f.y), internal(k.z, fine.nz, f.z));
        d -= 2.0 * dot(select(vec3<f32>(0.0), links, inside), vec3<f32>(1.0));
        g += select(links, vec3<f32>(0.0), inside);
    }
    return GALERKIN_SCALE * vec4<f32>(g, d);
}
