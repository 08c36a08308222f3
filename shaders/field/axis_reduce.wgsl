// Reduction of a field along one axis a (src/gpu/reduce.rs): per plane (one result for each
// index along a, over the other two axes b and d) or per column (one result for each (b, d),
// along a). Each result gets the sum, max, min and count of its cells (or of those whose mask
// element has the given bits).
//
// Sums are exact: every f32 is an integer multiple of 2^-149 below 2^128, so it is added as
// an integer into a fixed-point accumulator of LIMBS 16-bit digits (held in i32, carries
// propagated now and then). Integer addition is associative, so threads, workgroups and
// chunks may add in any order, with atomics: the accumulator is the same on every run, for
// any chunking and dispatch shape. The host reads it back and rounds the exact total once to
// f64 (a loop over 320 bits per result, which a CPU device ran slower than the whole
// accumulation, one thread per result). Max and min compare order-preserving integer keys of
// the bits. Values are read as u32 bits, never as floats, so that no device flushes a
// denormal on the way.
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
    slices: u32,     // per plane: workgroups sharing one plane of this chunk (with
                     // PLANE_PIECES: the pieces it is cut into, a thread each); per
                     // column: the pieces it is cut into, a thread each
    off_a: u32,
    off_b: u32,
    off_d: u32,
    n_b: u32,        // global extent of b (column results are numbered b + n_b d)
    groups: u32,     // workgroups of this chunk's dispatch that have work
    groups_x: u32,   // the dispatch's x size (it wraps into y past the adapter's limit)
    piece: u32,      // per column, or per plane with PLANE_PIECES: cells of a piece
                     // (the last one may be shorter)
    _pad0: u32,
}

struct AxisQuery {
    masked: u32,     // 1: only cells whose mask element has the bits `mask_bits`
    mask_bits: u32,
}

override COLUMNS: bool = false;
// Per plane, for planes of few cells: a thread per piece of a plane, each adding into the
// plane's result directly (src/gpu/reduce.rs, PIECEWISE_PLANE_CELLS).
override PLANE_PIECES: bool = false;

@group(0) @binding(1) var<storage, read> chunk: AxisChunk;
@group(0) @binding(2) var<storage, read> query: AxisQuery;
@group(0) @binding(3) var<storage, read> data: array<u32>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;
// Per result WORDS words: LIMBS digits (i32 bits), max key, inverted min key, flags, count
// (src/gpu/reduce.rs reads them in this order).
@group(0) @binding(5) var<storage, read_write> acc: array<atomic<u32>>;

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

// Local index of line j's cell at index 0 along a (line j: plane position or column j).
fn line_start(j: u32) -> u32 {
    let tb = j % chunk.ext_b;
    let td = j / chunk.ext_b;
    return grid.ghost * grid.plane_cells + tb * chunk.stride_b + td * chunk.stride_d;
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
        // One thread per piece of a column of this chunk, along a; neighbouring threads take
        // neighbouring columns. A column of one thread left the other cores idle where the
        // columns are few and long (a 2D grid's 60 columns: one workgroup).
        let t = group * THREADS + lid;
        if (t >= chunk.lines * chunk.slices) {
            return;
        }
        let j = t % chunk.lines;
        let first = (t / chunk.lines) * chunk.piece;
        let end = min(first + chunk.piece, chunk.ext_a);
        let start = line_start(j);
        for (var ta = first; ta < end; ta++) {
            add_cell(start + ta * chunk.stride_a);
        }
        let r = (j % chunk.ext_b + chunk.off_b) + chunk.n_b * (j / chunk.ext_b + chunk.off_d);
        flush_global(r);
        return;
    }
    if (PLANE_PIECES) {
        let t = group * THREADS + lid;
        if (t >= chunk.ext_a * chunk.slices) {
            return;
        }
        let ta = t / chunk.slices;
        let first = (t % chunk.slices) * chunk.piece;
        let end = min(first + chunk.piece, chunk.lines);
        for (var j = first; j < end; j++) {
            add_cell(line_start(j) + ta * chunk.stride_a);
        }
        flush_global(ta + chunk.off_a);
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
        add_cell(line_start(j) + ta * chunk.stride_a);
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
