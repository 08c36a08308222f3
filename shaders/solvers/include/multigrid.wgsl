// Indexing between two multigrid levels (src/solvers/multigrid.rs). Along each axis a level
// is either coarsened (coarse cell K covers fine cells 2K and 2K+1, clipped to the fine grid,
// so an odd size gives a last coarse cell with one child, which on a periodic axis neighbours
// coarse cell 0) or kept (the same cells: an axis of one cell, or a periodic side axis of odd
// length where the caller asks for Coarsening::KeepOddPeriodic). The coarse chunk dispatched with
// a fine chunk holds exactly the coarse cells whose first child lies in that fine chunk, so
// every child is in the fine chunk or its upper ghost plane and every parent is in the coarse
// chunk or its lower ghost plane. Requires common/grid.wgsl.

// Local index of cell (x, y, z) of the level described by `info` (its chunk's buffer starts
// `ghost` planes below its first plane: a fine level may be a model's wider-ghost domain).
fn level_index(info: GridInfo, x: u32, y: u32, z: u32) -> u32 {
    if (info.nz > 1u) {
        return x + info.nx * (y + info.ny * (z + info.ghost - info.first_plane));
    }
    return x + info.nx * (y + info.ghost - info.first_plane);
}

// Fine cells per coarse cell along an axis of `fine` and `coarse` cells (1: axis kept).
fn factor(fine: u32, coarse: u32) -> u32 {
    return select(2u, 1u, fine == coarse);
}

// Number of children of coarse coordinate `k` along an axis of `n` fine cells coarsened by `f`.
fn children(k: u32, n: u32, f: u32) -> u32 {
    return min(f, n - f * k);
}

// Coarsening factors per axis of the fine level `fine` and the coarse level `coarse`.
fn factors(fine: GridInfo, coarse: GridInfo) -> vec3<u32> {
    return vec3<u32>(factor(fine.nx, coarse.nx), factor(fine.ny, coarse.ny), factor(fine.nz, coarse.nz));
}

// Local index on level `coarse` of the parent of cell `k` (coordinates) of level `fine`: the
// cell whose correction piecewise-constant prolongation adds to it.
fn parent_index(fine: GridInfo, coarse: GridInfo, k: vec3<u32>) -> u32 {
    // Factors are 1 or 2: a shift, not a division (which a CPU device does lane by lane).
    let p = k >> (factors(fine, coarse) - vec3<u32>(1u));
    return level_index(coarse, p.x, p.y, p.z);
}

// The block of fine cells under coarse cell `k` (coordinates on level `coarse`) of the fine
// level `fine`: its first child and the number of children per axis.
struct Children {
    first: vec3<u32>,
    count: vec3<u32>,
    f: vec3<u32>,
}

fn children_between(fine: GridInfo, coarse: GridInfo, k: vec3<u32>) -> Children {
    var kids: Children;
    kids.f = factors(fine, coarse);
    kids.first = kids.f * k;
    kids.count = vec3<u32>(children(k.x, fine.nx, kids.f.x), children(k.y, fine.ny, kids.f.y), children(k.z, fine.nz, kids.f.z));
    return kids;
}

// Number of children in `kids`' block (1 to 8).
fn child_count(kids: Children) -> u32 {
    return kids.count.x * kids.count.y * kids.count.z;
}

// Coordinates (on the fine level) of child `m` of the block, x fastest, then y, then z: every
// kernel that sums over children adds them in this one order. Counts are 1 or 2 per axis, so
// masks and shifts replace divisions.
fn child(kids: Children, m: u32) -> vec3<u32> {
    let a = m & (kids.count.x - 1u);
    let rest = m >> (kids.count.x - 1u);
    let b = rest & (kids.count.y - 1u);
    let c = rest >> (kids.count.y - 1u);
    return kids.first + vec3<u32>(a, b, c);
}
