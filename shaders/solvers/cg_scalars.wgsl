// Potential solve: the CG scalars, summed over all workgroup partials by one workgroup in a
// fixed order (deterministic), and kept on the GPU so iterations need no read-back.
//   main:   after the first precondition  rz = Σ r·z, rr = Σ (D⁻¹r)², converged, β = 0 and
//           the direction's scale from ‖z‖ (a half-precision p is then set by cg_direction)
//   alpha:  after apply     α = rz / Σ p·q, or 0 once converged; counts the iteration;
//           Σ p·q = 0 before convergence is a breakdown (converged = BROKE_DOWN: no step
//           moves x again, and the host stops with an error instead of iterating on)
//   beta:   after a later precondition    β = rz_new / rz, rz = rz_new, rr = Σ (D⁻¹r)², the
//           direction's new scale from ‖z‖ and the one its stored values have now
//   residual: after update  rr = Σ (D⁻¹r)² of the updated residual, converged, and for a
//           split operator the shift Σ r / Σ rest over its coupled cells (0 where the rest
//           sums to 0), its last correction of x (cg_deflate.wgsl)
//   theta:  after the start's projection   α = θ = Σ (D⁻¹r)(D⁻¹q) / Σ (D⁻¹q)² within
//           [0, θ_max], not counted: the update then moves the warm start along d
//           (cg_start.wgsl); also bb = Σ (D⁻¹b)², iterations = 0 and converged = 0, a
//           solve's start
//   from_zero: a correction solve's start (x = 0, r = b), after the CG update has run with
//           α = 0 (the host writes it): `residual`, with bb = rr, iterations = 0 and
//           converged reset first. The update wrote r unchanged and its partials, so no
//           start kernel and no `theta` stage are needed (src/solvers/elliptic.rs)
#include "solvers/include/cg.wgsl"

@group(0) @binding(0) var<storage, read> partials: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> scalars: Scalars;

var<workgroup> sums: array<vec4<f32>, 256>;

fn total(lid: u32) -> vec4<f32> {
    var acc = vec4<f32>(0.0);
    let n = arrayLength(&partials);
    for (var k = lid; k < n; k += 256u) {
        acc += partials[k];
    }
    sums[lid] = acc;
    workgroupBarrier();
    for (var stride = 128u; stride > 0u; stride = stride / 2u) {
        if (lid < stride) {
            sums[lid] += sums[lid + stride];
        }
        workgroupBarrier();
    }
    return sums[0];
}

// `converged` after a breakdown (src/solvers/elliptic.rs reads it).
const BROKE_DOWN: u32 = 2u;

// rr ≤ tol2·bb; a zero right-hand side counts as solved (the host's residual is 0 there). A
// breakdown stays one until the next solve's start.
fn set_converged() {
    if (scalars.converged == BROKE_DOWN) {
        return;
    }
    let done = scalars.rr <= scalars.tol2 * scalars.bb || scalars.bb <= 0.0;
    scalars.converged = select(0u, 1u, done);
}

// The scale of a half-precision direction (solvers/include/direction_f16.wgsl): the power of
// two S with S ‖z‖₂ in (1024, 2048], zz = Σ z². No entry of z then exceeds 2048 scaled, and
// p = z + βp stays of that order (f16 reaches 65504; beyond it direction_f16 clamps). On N
// cells a typical entry scales to about 2048/√N (0.06 at 10⁹ cells), inside f16's normal
// range (from 6.1e-5); entries far below it keep less relative precision, but their absolute
// error stays below the rounding of the typical ones. A power of two, so that rescaling
// loses nothing and a right-hand side scaled by one gives the same iterates scaled. Like the
// solver's own sums (bb, rr), zz is an f32 sum: corrections whose z is below about 1e-19
// everywhere would underflow it (scale 1, p rounds to 0: a breakdown; the host accepts the
// iterate when Σ (D⁻¹r)² is below 1e-30 there, src/solvers/elliptic.rs's UNDERFLOW_RR, and
// reports it otherwise).
fn direction_scale_for(zz: f32) -> f32 {
    if (!(zz > 0.0)) {
        return 1.0;
    }
    if (zz > 3.0e38) {
        // Σ z² overflowed: z is huge, so scale well down (2⁻⁶⁴) rather than clamp every p.
        return bitcast<f32>(u32(127 - 64) << 23u);
    }
    // Built from its exponent bits: exact on every device, where exp2 need not be.
    let e = i32(clamp(floor(log2(2048.0 / sqrt(zz))), -100.0, 100.0));
    return bitcast<f32>(u32(e + 127) << 23u);
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
    let t = total(lid);
    if (lid == 0u) {
        scalars.rz = t.x;
        scalars.rr = t.y;
        scalars.beta = 0.0;
        let scale = direction_scale_for(t.z);
        scalars.direction_scale = scale;
        scalars.previous_direction_scale = scale;
        set_converged();
    }
}

@compute @workgroup_size(256)
fn alpha(@builtin(local_invocation_index) lid: u32) {
    let t = total(lid);
    if (lid == 0u) {
        let step = select(0.0, scalars.rz / t.x, t.x != 0.0);
        let go = scalars.converged == 0u;
        scalars.alpha = select(0.0, step, go);
        scalars.iterations += select(0u, 1u, go);
        if (go && t.x == 0.0) {
            scalars.converged = BROKE_DOWN;
        }
    }
}

@compute @workgroup_size(256)
fn beta(@builtin(local_invocation_index) lid: u32) {
    let t = total(lid);
    if (lid == 0u) {
        scalars.beta = select(0.0, t.x / scalars.rz, scalars.rz != 0.0);
        scalars.rz = t.x;
        scalars.rr = t.y;
        scalars.previous_direction_scale = scalars.direction_scale;
        scalars.direction_scale = direction_scale_for(t.z);
    }
}

// The updated residual's totals (cg_update.wgsl's partials): rr, the split operator's
// shift, and whether the solve has converged.
fn take_residual(t: vec4<f32>) {
    scalars.rr = t.y;
    scalars.shift = select(0.0, t.z / t.w, t.w > 0.0);
    set_converged();
}

@compute @workgroup_size(256)
fn residual(@builtin(local_invocation_index) lid: u32) {
    let t = total(lid);
    if (lid == 0u) {
        take_residual(t);
    }
}

@compute @workgroup_size(256)
fn from_zero(@builtin(local_invocation_index) lid: u32) {
    let t = total(lid);
    if (lid == 0u) {
        scalars.bb = t.y;
        scalars.iterations = 0u;
        scalars.converged = 0u;
        take_residual(t);
    }
}

@compute @workgroup_size(256)
fn theta(@builtin(local_invocation_index) lid: u32) {
    let t = total(lid);
    if (lid == 0u) {
        let step = select(0.0, t.x / t.y, t.y > 0.0);
        scalars.alpha = clamp(step, 0.0, scalars.theta_max);
        scalars.bb = t.z;
        scalars.iterations = 0u;
        scalars.converged = 0u;
    }
}
