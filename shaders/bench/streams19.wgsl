// Nineteen streams moved in place the way the D3Q19 even step moves its populations, without
// its arithmetic: read slot i of the own cell and write the value to slot opposite(i).
// `main` binds each stream as a buffer of its own, as the gde model does; `single` keeps
// the nineteen in one buffer at offsets of a nineteenth of it, as FluidX3D does. Timed next to
// the model's even step (benches/bandwidth.rs), the three say whether that step is held back
// by its bindings, by its arithmetic, or by moving nineteen streams at all.
#include "common/grid.wgsl"

@group(0) @binding(1) var<storage, read_write> s0: array<f32>;
@group(0) @binding(2) var<storage, read_write> s1: array<f32>;
@group(0) @binding(3) var<storage, read_write> s2: array<f32>;
@group(0) @binding(4) var<storage, read_write> s3: array<f32>;
@group(0) @binding(5) var<storage, read_write> s4: array<f32>;
@group(0) @binding(6) var<storage, read_write> s5: array<f32>;
@group(0) @binding(7) var<storage, read_write> s6: array<f32>;
@group(0) @binding(8) var<storage, read_write> s7: array<f32>;
@group(0) @binding(9) var<storage, read_write> s8: array<f32>;
@group(0) @binding(10) var<storage, read_write> s9: array<f32>;
@group(0) @binding(11) var<storage, read_write> s10: array<f32>;
@group(0) @binding(12) var<storage, read_write> s11: array<f32>;
@group(0) @binding(13) var<storage, read_write> s12: array<f32>;
@group(0) @binding(14) var<storage, read_write> s13: array<f32>;
@group(0) @binding(15) var<storage, read_write> s14: array<f32>;
@group(0) @binding(16) var<storage, read_write> s15: array<f32>;
@group(0) @binding(17) var<storage, read_write> s16: array<f32>;
@group(0) @binding(18) var<storage, read_write> s17: array<f32>;
@group(0) @binding(19) var<storage, read_write> s18: array<f32>;
@group(0) @binding(20) var<storage, read_write> all: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    let n = c.local;
    let v0 = s0[n];
    let v1 = s1[n];
    let v2 = s2[n];
    let v3 = s3[n];
    let v4 = s4[n];
    let v5 = s5[n];
    let v6 = s6[n];
    let v7 = s7[n];
    let v8 = s8[n];
    let v9 = s9[n];
    let v10 = s10[n];
    let v11 = s11[n];
    let v12 = s12[n];
    let v13 = s13[n];
    let v14 = s14[n];
    let v15 = s15[n];
    let v16 = s16[n];
    let v17 = s17[n];
    let v18 = s18[n];
    s0[n] = v0;
    s2[n] = v1;
    s1[n] = v2;
    s4[n] = v3;
    s3[n] = v4;
    s6[n] = v5;
    s5[n] = v6;
    s8[n] = v7;
    s7[n] = v8;
    s10[n] = v9;
    s9[n] = v10;
    s12[n] = v11;
    s11[n] = v12;
    s14[n] = v13;
    s13[n] = v14;
    s16[n] = v15;
    s15[n] = v16;
    s18[n] = v17;
    s17[n] = v18;
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn single(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    let n = c.local;
    let stride = arrayLength(&all) / 19u;
    let v0 = all[n + 0u * stride];
    let v1 = all[n + 1u * stride];
    let v2 = all[n + 2u * stride];
    let v3 = all[n + 3u * stride];
    let v4 = all[n + 4u * stride];
    let v5 = all[n + 5u * stride];
    let v6 = all[n + 6u * stride];
    let v7 = all[n + 7u * stride];
    let v8 = all[n + 8u * stride];
    let v9 = all[n + 9u * stride];
    let v10 = all[n + 10u * stride];
    let v11 = all[n + 11u * stride];
    let v12 = all[n + 12u * stride];
    let v13 = all[n + 13u * stride];
    let v14 = all[n + 14u * stride];
    let v15 = all[n + 15u * stride];
    let v16 = all[n + 16u * stride];
    let v17 = all[n + 17u * stride];
    let v18 = all[n + 18u * stride];
    all[n + 0u * stride] = v0;
    all[n + 2u * stride] = v1;
    all[n + 1u * stride] = v2;
    all[n + 4u * stride] = v3;
    all[n + 3u * stride] = v4;
    all[n + 6u * stride] = v5;
    all[n + 5u * stride] = v6;
    all[n + 8u * stride] = v7;
    all[n + 7u * stride] = v8;
    all[n + 10u * stride] = v9;
    all[n + 9u * stride] = v10;
    all[n + 12u * stride] = v11;
    all[n + 11u * stride] = v12;
    all[n + 14u * stride] = v13;
    all[n + 13u * stride] = v14;
    all[n + 16u * stride] = v15;
    all[n + 15u * stride] = v16;
    all[n + 18u * stride] = v17;
    all[n + 17u * stride] = v18;
}
