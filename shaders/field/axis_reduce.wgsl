// Reduction of a field along one axis a (src/gpu/reduce.rs): per plane (one result for each
// index along a, over the other two axes b and d) or per column (one result for each (b, d),
// along a). Each result gets the sum, max, min and count of its cells (or of those whose mask
// element has the given bits).
//
// Sums are exact: every f32 is an integer multiple of 2^-149 below 2^128, so it is added as
// an integer into a fixed-point accumulator of LIMBS 16-bit digits (held in i32, carries
// propagated now and then), and `finish` rounds the exact total once to f64 (to nearest,
// ties to even). Integer addition is associative, so threads, workgroups and chunks may add
// in any order, with atomics: the result is the same on every run, for any chunking and
// dispatch shape, and it is the correctly rounded sum. Max and min compare order-preserving
// integer keys of the bits. Values are read as u32 bits, never as floats, so that no device
// flushes a denormal on the way.
#include "common/grid.wgsl"

// Per chunk: extents in the chunk, index strides and global offsets of the axes (a, b, d),
// b the faster of the other two.
struct AxisChunk {
    ext_a: u32,
    ext_b: u32,
    ext_d: u32,
    lines: u32,      // ext_b * ext_d: cells of a plane, or columns, in this chunk
    stride_a: u32,
    stride_b: u32,
    stride_d: u32,
    slices: u32,     // per plane: workgroups sharing one plane of this chunk
    off_a: u32,
    off_b: u32,
    off_d: u32,
    n_b: u32,        // global extent of b (column results are numbered b + n_b d)
    groups: u32,     // workgroups of this chunk's dispatch that have work
    groups_x: u32,   // the dispatch's x size (it wraps into y past the adapter's limit)
    _pad0: u32,
    _pad1: u32,
}

struct AxisQuery {
    masked: u32,     // 1: only cells whose mask element has the bits `mask_bits`
    mask_bits: u32,
    results: u32,
    groups_x: u32,   // of the finish dispatch
}

override COLUMNS: bool = false;

@group(0) @binding(1) var<storage, read> chunk: AxisChunk;
@group(0) @binding(2) var<storage, read> query: AxisQuery;
@group(0) @binding(3) var<storage, read> data: array<u32>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;
// Per result WORDS words: LIMBS digits (i32 bits), max key, inverted min key, flags, count.
@group(0) @binding(5) var<storage, read_write> acc: array<atomic<u32>>;
// Per result: the sum's f64 bits (low, high word), max and min f32 bits, count.
@group(0) @binding(6) var<storage, read_write> out: array<u32>;

const THREADS: u32 = 256u;
// 20 digits of 16 bits: 277 bits span the f32 range, 31 more absorb 2^31 values.
const LIMBS: u32 = 20u;
const WORDS: u32 = 24u;
const MAX_KEY: u32 = 20u;
const MIN_KEY: u32 = 21u;
const FLAGS: u32 = 22u;
const COUNT: u32 = 23u;
const NAN: u32 = 1u;
const POS_INF: u32 = 2u;
const NEG_INF: u32 = 4u;
// A digit takes at most one addend below 2^16 per value: carry before 2^15 of them.
const CARRY_EVERY: u32 = 16384u;

var<private> digits: array<i32, LIMBS>;
var<private> max_key: u32;
var<private> min_key_inv: u32;
var<private> flags: u32;
var<private> count: u32;
var<private> since_carry: u32;

var<workgroup> w_acc: array<atomic<u32>, WORDS>;

// Moves every digit's overflow into the next one: digits 0..LIMBS-2 end in [0, 2^16), the
// top one keeps the sign.
fn carry() {
    for (var k = 0u; k + 1u < LIMBS; k++) {
        let c = digits[k] >> 16u;
        digits[k] -= c << 16u;
        digits[k + 1u] += c;
    }
    since_carry = 0u;
}

// Keys that order like the values: -0 below +0, infinities at the ends.
fn key(bits: u32) -> u32 {
    return select(bits | 0x80000000u, ~bits, (bits >> 31u) == 1u);
}

fn add_cell(local: u32) {
    if (query.masked == 1u && mask[local] != query.mask_bits) {
        return;
    }
    let bits = data[local];
    count += 1u;
    let e = (bits >> 23u) & 0xffu;
    let negative = (bits >> 31u) == 1u;
    if (e == 0xffu) {
        if ((bits & 0x7fffffu) != 0u) {
            flags |= NAN;
            return;
        }
        flags |= select(POS_INF, NEG_INF, negative);
    } else {
        // |v| = m 2^(p - 149): digits k, k+1, k+2 of m shifted left by r = p mod 16.
        let m = select(bits & 0x7fffffu, (bits & 0x7fffffu) | 0x800000u, e != 0u);
        let p = max(e, 1u) - 1u;
        let k = p >> 4u;
        let r = p & 15u;
        let d0 = i32((m << r) & 0xffffu);
        let d1 = i32((m << r) >> 16u);
        let d2 = i32((m >> 16u) >> (16u - r));
        if (negative) {
            digits[k] -= d0;
            digits[k + 1u] -= d1;
            digits[k + 2u] -= d2;
        } else {
            digits[k] += d0;
            digits[k + 1u] += d1;
            digits[k + 2u] += d2;
        }
        since_carry += 1u;
        if (since_carry == CARRY_EVERY) {
            carry();
        }
    }
    max_key = max(max_key, key(bits));
    min_key_inv = max(min_key_inv, ~key(bits));
}

fn reset_private() {
    for (var k = 0u; k < LIMBS; k++) {
        digits[k] = 0;
    }
    max_key = 0u;
    min_key_inv = 0u;
    flags = 0u;
    count = 0u;
    since_carry = 0u;
}

fn local_index(ta: u32, j: u32) -> u32 {
    let tb = j % chunk.ext_b;
    let td = j / chunk.ext_b;
    return grid.ghost * grid.plane_cells + ta * chunk.stride_a + tb * chunk.stride_b
        + td * chunk.stride_d;
}

// Adds this thread's carried digits and tags to result r in `acc`. Carried digits are below
// 2^16 each, and the host keeps the contributions per result below 2^15, so no digit of
// `acc` overflows.
fn flush_global(r: u32) {
    let base = r * WORDS;
    carry();
    for (var k = 0u; k < LIMBS; k++) {
        if (digits[k] != 0) {
            atomicAdd(&acc[base + k], bitcast<u32>(digits[k]));
        }
    }
    if (count != 0u) {
        atomicMax(&acc[base + MAX_KEY], max_key);
        atomicMax(&acc[base + MIN_KEY], min_key_inv);
        atomicOr(&acc[base + FLAGS], flags);
        atomicAdd(&acc[base + COUNT], count);
    }
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let group = wid.x + wid.y * chunk.groups_x;
    reset_private();
    if (COLUMNS) {
        // One thread per column of this chunk, along a.
        let j = group * THREADS + lid;
        if (j >= chunk.lines) {
            return;
        }
        for (var ta = 0u; ta < chunk.ext_a; ta++) {
            add_cell(local_index(ta, j));
        }
        let r = (j % chunk.ext_b + chunk.off_b) + chunk.n_b * (j / chunk.ext_b + chunk.off_d);
        flush_global(r);
        return;
    }
    // Per plane: `slices` workgroups share plane ta of this chunk, each thread a stride of it.
    if (group >= chunk.groups) {
        return;
    }
    let ta = group / chunk.slices;
    let slice = group % chunk.slices;
    if (lid < WORDS) {
        atomicStore(&w_acc[lid], 0u);
    }
    workgroupBarrier();
    for (var j = slice * THREADS + lid; j < chunk.lines; j += chunk.slices * THREADS) {
        add_cell(local_index(ta, j));
    }
    carry();
    for (var k = 0u; k < LIMBS; k++) {
        if (digits[k] != 0) {
            atomicAdd(&w_acc[k], bitcast<u32>(digits[k]));
        }
    }
    if (count != 0u) {
        atomicMax(&w_acc[MAX_KEY], max_key);
        atomicMax(&w_acc[MIN_KEY], min_key_inv);
        atomicOr(&w_acc[FLAGS], flags);
        atomicAdd(&w_acc[COUNT], count);
    }
    workgroupBarrier();
    if (lid == 0u) {
        // 256 carried digits sum below 2^24: carry once more before the global add.
        for (var k = 0u; k < LIMBS; k++) {
            digits[k] = bitcast<i32>(atomicLoad(&w_acc[k]));
        }
        max_key = atomicLoad(&w_acc[MAX_KEY]);
        min_key_inv = atomicLoad(&w_acc[MIN_KEY]);
        flags = atomicLoad(&w_acc[FLAGS]);
        count = atomicLoad(&w_acc[COUNT]);
        flush_global(ta + chunk.off_a);
    }
}

fn digit_bit(i: u32) -> u32 {
    return (bitcast<u32>(digits[i >> 4u]) >> (i & 15u)) & 1u;
}

// The f64 nearest to the digits' value times 2^-149 (ties to even), as (low, high) words.
fn rounded_f64() -> vec2<u32> {
    carry();
    let negative = digits[LIMBS - 1u] < 0;
    if (negative) {
        for (var k = 0u; k < LIMBS; k++) {
            digits[k] = -digits[k];
        }
        carry();
    }
    var top = LIMBS;
    for (var k = LIMBS; k > 0u; k--) {
        if (digits[k - 1u] != 0) {
            top = k - 1u;
            break;
        }
    }
    if (top == LIMBS) {
        return vec2<u32>(0u, 0u);
    }
    // Highest set bit; the 52 below it are the fraction, the next decides the rounding.
    var n = top * 16u + 31u - countLeadingZeros(bitcast<u32>(digits[top]));
    var lo = 0u;
    var hi = 0u;
    for (var j = 1u; j <= 52u && j <= n; j++) {
        let pos = 52u - j;
        let b = digit_bit(n - j);
        if (pos >= 32u) {
            hi |= b << (pos - 32u);
        } else {
            lo |= b << pos;
        }
    }
    if (n >= 53u) {
        let ri = n - 53u;
        var sticky = (bitcast<u32>(digits[ri >> 4u]) & ((1u << (ri & 15u)) - 1u)) != 0u;
        for (var k = 0u; k < (ri >> 4u); k++) {
            sticky = sticky || digits[k] != 0;
        }
        if (digit_bit(ri) == 1u && (sticky || (lo & 1u) == 1u)) {
            lo += 1u;
            if (lo == 0u) {
                hi += 1u;
            }
            if (hi == 0x100000u) {
                // The mantissa rounded up to 2^53.
                hi = 0u;
                n += 1u;
            }
        }
    }
    // Value 2^(n - 149) times 1.fraction: always a normal f64.
    hi |= (n + 1023u - 149u) << 20u;
    if (negative) {
        hi |= 0x80000000u;
    }
    return vec2<u32>(lo, hi);
}

fn unkey(k: u32) -> u32 {
    return select(~k, k & 0x7fffffffu, (k >> 31u) == 1u);
}

@compute @workgroup_size(256)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = gid.x + gid.y * query.groups_x * THREADS;
    if (r >= query.results) {
        return;
    }
    let base = r * WORDS;
    for (var k = 0u; k < LIMBS; k++) {
        digits[k] = bitcast<i32>(atomicLoad(&acc[base + k]));
    }
    let f = atomicLoad(&acc[base + FLAGS]);
    let n = atomicLoad(&acc[base + COUNT]);
    var sum = rounded_f64();
    var maxv = unkey(atomicLoad(&acc[base + MAX_KEY]));
    var minv = unkey(~atomicLoad(&acc[base + MIN_KEY]));
    if (n == 0u) {
        maxv = 0xff800000u;  // -inf: the max of nothing
        minv = 0x7f800000u;
    }
    if ((f & NAN) != 0u || (f & (POS_INF | NEG_INF)) == (POS_INF | NEG_INF)) {
        sum = vec2<u32>(0u, 0x7ff80000u);
        maxv = 0x7fc00000u;
        minv = 0x7fc00000u;
    } else if ((f & POS_INF) != 0u) {
        sum = vec2<u32>(0u, 0x7ff00000u);
    } else if ((f & NEG_INF) != 0u) {
        sum = vec2<u32>(0u, 0xfff00000u);
    }
    let o = r * 5u;
    out[o] = sum.x;
    out[o + 1u] = sum.y;
    out[o + 2u] = maxv;
    out[o + 3u] = minv;
    out[o + 4u] = n;
}
