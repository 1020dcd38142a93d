//! Morton (Z-order) keys: the deterministic body order the octree is built over.
//!
//! Owns quantising positions into a bounding cube and sorting bodies by (key, index) with a radix sort. Ties between bodies in
//! the same cell are broken by original index, so the order — and every sum that follows it — depends only
//! on the input, never on thread count.

use rayon::prelude::*;

use super::Particles;

/// Bits per axis: 3 × 16 = 48 bits of key. At the game's 50,000-unit radius the finest cell is ~1.5 units;
/// more than a leaf's worth of bodies closer than that just share a larger leaf.
pub(crate) const BITS: u32 = 16;

/// `SPREAD[b]` has bit k of the byte `b` at bit 3k.
const SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut k = 0;
        while k < 8 {
            t[b] |= ((b as u64 >> k) & 1) << (3 * k);
            k += 1;
        }
        b += 1;
    }
    t
};

/// Spreads the 16 bits of `v` so that bit k lands at bit 3k.
fn spread(v: u32) -> u64 {
    SPREAD[(v & 0xff) as usize] | SPREAD[((v >> 8) & 0xff) as usize] << 24
}

/// The Morton key of a position quantised in the cube `min .. min + side` (per axis), `scale` = 2^BITS/side.
fn key(p: [f32; 3], min: [f32; 3], scale: f32) -> u64 {
    let max = (1u32 << BITS) - 1;
    // `as u32` saturates and maps NaN to 0, so any input gives a key.
    let q = |k: usize| (((p[k] - min[k]) * scale) as u32).min(max);
    spread(q(0)) | spread(q(1)) << 1 | spread(q(2)) << 2
}

/// The bounding cube of the finite positions: (min corner, side length > 0).
fn bounding_cube(p: &Particles) -> ([f32; 3], f32) {
    let mut lo = [f32::INFINITY; 3];
    let mut hi = [f32::NEG_INFINITY; 3];
    for (k, axis) in [&p.x, &p.y, &p.z].into_iter().enumerate() {
        // Comparisons are false for NaN, so NaN never lands in the box; infinities are filtered after.
        for &v in axis.iter() {
            lo[k] = if v < lo[k] { v } else { lo[k] };
            hi[k] = if v > hi[k] { v } else { hi[k] };
        }
    }
    if (0..3).any(|k| !(lo[k].is_finite() && hi[k].is_finite() && lo[k] <= hi[k])) {
        return ([0.0; 3], 1.0);
    }
    let side = (0..3).map(|k| hi[k] - lo[k]).fold(0.0f32, f32::max);
    // A little slack so the maximum lands inside the last cell, and a floor for all-coincident input.
    (lo, (side * (1.0 + 1e-5)).max(1e-3))
}

/// Radix digit width: six passes of 8 bits cover the 48-bit keys; 256 buckets keep the scatter's write
/// heads in L1.
const DIGIT: u32 = 8;
const PASSES: usize = 6;

/// Key and index buffers of the sort, reused from one call to the next.
#[derive(Clone, Debug, Default)]
pub(crate) struct SortBuffers {
    tmp_keys: Vec<u64>,
    tmp_order: Vec<u32>,
}

/// Fills `keys` and `order` with the bodies sorted by (Morton key, index).
///
/// An LSD radix sort: stable, and the input is in index order, so equal keys stay in index order.
pub(crate) fn sort(
    p: &Particles,
    keys: &mut Vec<u64>,
    order: &mut Vec<u32>,
    buf: &mut SortBuffers,
    parallel: bool,
) {
    let n = p.len();
    let (min, side) = bounding_cube(p);
    let scale = (1u32 << BITS) as f32 / side;
    let make = |i: usize| key([p.x[i], p.y[i], p.z[i]], min, scale);
    keys.clear();
    if parallel {
        keys.par_extend((0..n).into_par_iter().map(make));
    } else {
        keys.extend((0..n).map(make));
    }
    order.clear();
    order.extend(0..n as u32);

    let mask = (1u64 << DIGIT) - 1;
    let mut hist = vec![[0u32; 1 << DIGIT]; PASSES];
    for &k in keys.iter() {
        for (pass, h) in hist.iter_mut().enumerate() {
            h[((k >> (pass as u32 * DIGIT)) & mask) as usize] += 1;
        }
    }
    buf.tmp_keys.resize(n, 0);
    buf.tmp_order.resize(n, 0);
    for (pass, h) in hist.iter_mut().enumerate() {
        // A digit every key shares does not reorder anything.
        if h.iter().any(|&c| c as usize == n) {
            continue;
        }
        let mut sum = 0u32;
        for c in h.iter_mut() {
            (*c, sum) = (sum, sum + *c);
        }
        let shift = pass as u32 * DIGIT;
        for (&k, &i) in keys.iter().zip(order.iter()) {
            let slot = &mut h[((k >> shift) & mask) as usize];
            buf.tmp_keys[*slot as usize] = k;
            buf.tmp_order[*slot as usize] = i;
            *slot += 1;
        }
        std::mem::swap(keys, &mut buf.tmp_keys);
        std::mem::swap(order, &mut buf.tmp_order);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_interleaves_bits() {
        assert_eq!(spread(0b1), 0b1);
        assert_eq!(spread(0b10), 0b1000);
        assert_eq!(spread(0xffff), 0x0000_9249_2492_4924_9249 & ((1 << 48) - 1));
    }

    #[test]
    fn sort_breaks_ties_by_index() {
        let mut p = Particles::default();
        for _ in 0..5 {
            p.push([1.0, 2.0, 3.0], 1.0);
        }
        p.push([-1.0, -2.0, -3.0], 1.0);
        let (mut keys, mut order) = (Vec::new(), Vec::new());
        sort(
            &p,
            &mut keys,
            &mut order,
            &mut SortBuffers::default(),
            false,
        );
        assert_eq!(order, vec![5, 0, 1, 2, 3, 4]);
    }
}
