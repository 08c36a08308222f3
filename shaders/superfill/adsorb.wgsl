// Accelerator adsorption on the interface cells after the accelerator solve, with the
// solve's sink (species_setup.wgsl) so that what leaves the solution arrives on the
// surface. A solve runs every few steps (`species_every`) and advances the solution over
// all of them (`solve_dt`); each step adsorbs Δθ = Δt k c (1 − θ) with the last solve's c,
// and after a solve (AFTER_SOLVE) the cell also gets the difference the new c makes to the
// steps before it since the last solve, (Δt_s − Δt) k δ (1 − θ), δ the solve's change: the
// surface then gets what the solve's sink took from the solution over the interval, up to
// the surface's own change in between. Without that reckoning the surface took up the bulk
// value's worth before the first solve, and 2.6 % too much over four steps between solves
// from a bath that the surface empties (Ward–Tordai's test,
// tests/superfill_verification.rs). Adsorbing only after the solves instead lagged θ by up
// to a solve's interval. Where a neighbourhood's coverage θ (coverage.wgsl) exceeds 1 (a
// shrinking surface packs more accelerator than it has sites for) the cells release the
// excess to the solution (`excess`, returned by the next accelerator solve, which may come
// several steps later: the releases add up until then, AFTER_SOLVE starting the sum
// afresh), so θ stays in [0, 1] and the total accelerator, surface plus solution, is kept.
// Each cell keeps the fraction 1/θ_max of its amount, θ_max the largest coverage among the
// neighbourhoods it belongs to (those of the cells in its own): then no neighbourhood holds
// more than its area's worth after the cap (the adsorption that follows adds only where a
// cell's own θ is below 1). With its own neighbourhood's 1/θ alone, neighbourhoods whose
// cells were scaled by different factors stayed above 1 (1.06 at 2.5 nm where the trench
// bottom closes) until the next step. With leveler, which binds more strongly and keeps its
// sites (FiPy leveler.py holds θ to 1 − θ_L), the accelerator above 1 − θ_L is displaced.
//
// With leveler (FiPy leveler.py's equations): leveler sites block accelerator
// adsorption (1 − θ − θ_L), leveler in solution displaces adsorbed accelerator
// (−k_L c_L θ), the accelerator is consumed (−k⁻ θ^q), and the leveler adsorbs,
// Δθ_L = Δt k_L c_L (1 − θ_L), reckoned with its solve as the accelerator is, and is
// buried by the growing metal (−k_L⁻ v θ_L). These losses take nothing from the solution:
// displaced, consumed and buried additive leaves the surface for good, as in the model;
// leveler above full coverage is buried too. Every loss is at most what the cell holds.
#include "common/grid.wgsl"
#include "superfill/include/params.wgsl"
#include "common/cell_list.wgsl"
#include "common/listed_cell.wgsl"

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read> area: array<f32>;
@group(0) @binding(3) var<storage, read> theta_cell: array<f32>;
@group(0) @binding(4) var<storage, read> c_acc: array<f32>;
@group(0) @binding(5) var<storage, read_write> amount: array<i32>;
@group(0) @binding(6) var<storage, read_write> excess: array<f32>;
@group(0) @binding(7) var<storage, read> theta_lev_cell: array<f32>;
@group(0) @binding(8) var<storage, read> c_lev: array<f32>;
@group(0) @binding(9) var<storage, read_write> amount_lev: array<i32>;
@group(0) @binding(10) var<storage, read> vel_cell: array<f32>;
// The last solves' changes of the accelerator and leveler in solution (species_update.wgsl
// has added them to c_acc and c_lev).
@group(0) @binding(11) var<storage, read> delta_acc: array<f32>;
@group(0) @binding(12) var<storage, read> delta_lev: array<f32>;
// The cells this step can change (src/gpu/cell_list.rs): those within the list's limit of
// the zero level; a dispatch over the box would write the same values everywhere else.
@group(0) @binding(13) var<storage, read> cells: CellList;

// This step solved for the species: reckon the uptake of the steps since the previous solve
// with this solve's change, and start `excess` afresh (the solve took in what it held).
override AFTER_SOLVE: bool = false;

// `x` coverage on area `a`, in amount units.
fn units(x: f32, a: f32) -> i32 {
    return i32(round(x * a * M_SCALE));
}

fn level(j: u32) -> f32 {
    return theta_cell[j];
}

#include "superfill/include/stencil.wgsl"

// The largest accelerator and leveler coverages among the neighbourhoods that hold cell c
// (coverage.wgsl's 5×5 or 5×5×5; the relation is symmetric, mirror images included).
// Scaling each cell by at most 1/θ of every weighted neighbourhood holding it leaves none
// of them above 1.
fn largest_coverages(c: Cell) -> vec2<f32> {
    let kz = select(0, 1, is_3d());
    var most = vec2<f32>(0.0);
    for (var dz = -COVERAGE_REACH * kz; dz <= COVERAGE_REACH * kz; dz++) {
        for (var dy = -COVERAGE_REACH; dy <= COVERAGE_REACH; dy++) {
            for (var dx = -COVERAGE_REACH; dx <= COVERAGE_REACH; dx++) {
                let j = offset_cell(c, vec3<i32>(dx, dy, dz));
                most = max(most, vec2<f32>(theta_cell[j], theta_lev_cell[j]));
            }
        }
    }
    return most;
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let c = listed_cell(wid, groups, lid);
    if (!c.valid) {
        return;
    }
    let i = c.local;
    let a = area[i];
    let pending = select(excess[i], 0.0, AFTER_SOLVE);
    if (a <= 0.0) {
        excess[i] = pending;
        return;
    }
    let theta = theta_cell[i];
    let most = largest_coverages(c);
    let m = amount[i];
    var kept = m;
    if (most.x > 1.0) {
        kept = i32(floor(f32(m) / most.x));
    }
    excess[i] = pending + f32(m - kept) / M_SCALE;
    // Accelerator covers only what leveler leaves free, θ ≤ 1 − θ_L: what the leveler
    // crowds out is displaced, and leaves for good like the k_L c_L θ displacement below.
    let room = max(1.0 - min(theta_lev_cell[i], 1.0), 0.0);
    let covered = min(theta, 1.0);
    if (covered > room) {
        kept = i32(floor(f32(kept) * room / covered));
    }
    let t = min(theta, 1.0);
    let t_lev = min(theta_lev_cell[i], 1.0);
    let cl = max(c_lev[i], 0.0);
    let free = max(1.0 - t - t_lev, 0.0);
    var uptake = p.dt * p.k_ads * max(c_acc[i], 0.0) * free;
    var uptake_lev = p.dt * p.k_lev * cl * (1.0 - t_lev);
    if (AFTER_SOLVE) {
        // The steps since the last solve adsorbed with that solve's c; this solve took
        // their share from the solution with the new one.
        let before = p.solve_dt - p.dt;
        uptake += before * p.k_ads * delta_acc[i] * free;
        uptake_lev += before * p.k_lev * delta_lev[i] * (1.0 - t_lev);
    }
    let lost = p.k_lev * cl * t + p.consumption * pow(t, p.consumption_order);
    amount[i] = max(kept + units(uptake - p.dt * lost, a), 0);
    let m_lev = amount_lev[i];
    var kept_lev = m_lev;
    if (most.y > 1.0) {
        kept_lev = i32(floor(f32(m_lev) / most.y));
    }
    let buried = p.dt * p.lev_burial * vel_cell[i] * t_lev;
    amount_lev[i] = max(kept_lev + units(uptake_lev - buried, a), 0);
}
