// The 19 population fields of the D3Q19 flow solver, one binding each (structure of
// arrays), stored shifted by their rest weights (f - w) in f32. Directions come in opposite
// pairs: 0 is rest, and i, i + 1 are opposite for odd i.
const Q: u32 = 19u;

const CX = array<i32, 19>(0, 1, -1, 0, 0, 0, 0, 1, -1, 1, -1, 0, 0, 1, -1, 1, -1, 0, 0);
const CY = array<i32, 19>(0, 0, 0, 1, -1, 0, 0, 1, -1, 0, 0, 1, -1, -1, 1, 0, 0, 1, -1);
const CZ = array<i32, 19>(0, 0, 0, 0, 0, 1, -1, 0, 0, 1, -1, 1, -1, 0, 0, -1, 1, -1, 1);
const W = array<f32, 19>(
    1.0 / 3.0,
    1.0 / 18.0, 1.0 / 18.0, 1.0 / 18.0, 1.0 / 18.0, 1.0 / 18.0, 1.0 / 18.0,
    1.0 / 36.0, 1.0 / 36.0, 1.0 / 36.0, 1.0 / 36.0, 1.0 / 36.0, 1.0 / 36.0,
    1.0 / 36.0, 1.0 / 36.0, 1.0 / 36.0, 1.0 / 36.0, 1.0 / 36.0, 1.0 / 36.0);

@group(0) @binding(3) var<storage, read_write> f0: array<f32>;
@group(0) @binding(4) var<storage, read_write> f1: array<f32>;
@group(0) @binding(5) var<storage, read_write> f2: array<f32>;
@group(0) @binding(6) var<storage, read_write> f3: array<f32>;
@group(0) @binding(7) var<storage, read_write> f4: array<f32>;
@group(0) @binding(8) var<storage, read_write> f5: array<f32>;
@group(0) @binding(9) var<storage, read_write> f6: array<f32>;
@group(0) @binding(10) var<storage, read_write> f7: array<f32>;
@group(0) @binding(11) var<storage, read_write> f8: array<f32>;
@group(0) @binding(12) var<storage, read_write> f9: array<f32>;
@group(0) @binding(13) var<storage, read_write> f10: array<f32>;
@group(0) @binding(14) var<storage, read_write> f11: array<f32>;
@group(0) @binding(15) var<storage, read_write> f12: array<f32>;
@group(0) @binding(16) var<storage, read_write> f13: array<f32>;
@group(0) @binding(17) var<storage, read_write> f14: array<f32>;
@group(0) @binding(18) var<storage, read_write> f15: array<f32>;
@group(0) @binding(19) var<storage, read_write> f16: array<f32>;
@group(0) @binding(20) var<storage, read_write> f17: array<f32>;
@group(0) @binding(21) var<storage, read_write> f18: array<f32>;

fn opposite(i: u32) -> u32 {
    return select(i + 1u, i - 1u, (i & 1u) == 0u && i > 0u);
}

fn direction(i: u32) -> vec3<i32> {
    return vec3<i32>(CX[i], CY[i], CZ[i]);
}

fn load(i: u32, n: u32) -> f32 {
    switch i {
        case 0u: { return f0[n]; }
        case 1u: { return f1[n]; }
        case 2u: { return f2[n]; }
        case 3u: { return f3[n]; }
        case 4u: { return f4[n]; }
        case 5u: { return f5[n]; }
        case 6u: { return f6[n]; }
        case 7u: { return f7[n]; }
        case 8u: { return f8[n]; }
        case 9u: { return f9[n]; }
        case 10u: { return f10[n]; }
        case 11u: { return f11[n]; }
        case 12u: { return f12[n]; }
        case 13u: { return f13[n]; }
        case 14u: { return f14[n]; }
        case 15u: { return f15[n]; }
        case 16u: { return f16[n]; }
        case 17u: { return f17[n]; }
        default: { return f18[n]; }
    }
}

fn store(i: u32, n: u32, v: f32) {
    switch i {
        case 0u: { f0[n] = v; }
        case 1u: { f1[n] = v; }
        case 2u: { f2[n] = v; }
        case 3u: { f3[n] = v; }
        case 4u: { f4[n] = v; }
        case 5u: { f5[n] = v; }
        case 6u: { f6[n] = v; }
        case 7u: { f7[n] = v; }
        case 8u: { f8[n] = v; }
        case 9u: { f9[n] = v; }
        case 10u: { f10[n] = v; }
        case 11u: { f11[n] = v; }
        case 12u: { f12[n] = v; }
        case 13u: { f13[n] = v; }
        case 14u: { f14[n] = v; }
        case 15u: { f15[n] = v; }
        case 16u: { f16[n] = v; }
        case 17u: { f17[n] = v; }
        default: { f18[n] = v; }
    }
}
