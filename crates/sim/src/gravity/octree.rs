//! The octree Barnes–Hut walks: nodes over Morton-sorted bodies, with mass, centre of mass and quadrupole.
//!
//! Owns the tree's layout and its construction. Every node covers a contiguous range of the sorted bodies;
//! children of a node are stored contiguously and in key order, so a depth-first walk visits bodies in
//! sorted order. Levels where all bodies fall in one octant are skipped, so there are no single-child chains.
//! The tree holds copies of positions and masses in sorted order, which the leaf interactions stream.

use super::Particles;
use super::cells::Cell;
use super::morton::{self, BITS};

/// One octree node.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Node {
    /// Mass, centre of mass and second moments: what the node contributes when accepted as a cell.
    pub cell: Cell,
    /// Radius around the centre of mass that encloses every body of the node: the opening criterion's size.
    pub rmax: f32,
    /// Tight bounding box of the node's bodies.
    pub lo: [f32; 3],
    pub hi: [f32; 3],
    /// First sorted body and body count.
    pub start: u32,
    pub count: u32,
    /// Index of the first child (children are contiguous); 0 for a leaf, since the root is no one's child.
    pub first_child: u32,
    pub n_children: u32,
}

impl Node {
    pub fn is_leaf(&self) -> bool {
        self.n_children == 0
    }

    /// Centre of the bounding box.
    pub fn centre(&self) -> [f32; 3] {
        let (lo, hi) = (self.lo, self.hi);
        [
            0.5 * (lo[0] + hi[0]),
            0.5 * (lo[1] + hi[1]),
            0.5 * (lo[2] + hi[2]),
        ]
    }

    /// Squared distance from `p` to the bounding box (0 inside it).
    pub fn box_dist2(&self, p: [f32; 3]) -> f32 {
        let mut d2 = 0.0;
        for ((lo, hi), p) in self.lo.iter().zip(&self.hi).zip(p) {
            let d = (lo - p).max(p - hi).max(0.0);
            d2 += d * d;
        }
        d2
    }

    /// Half the bounding box's diagonal: every body of the node is within it of [`Self::centre`].
    pub fn radius(&self) -> f32 {
        let h = [
            self.hi[0] - self.lo[0],
            self.hi[1] - self.lo[1],
            self.hi[2] - self.lo[2],
        ];
        0.5 * (h[0] * h[0] + h[1] * h[1] + h[2] * h[2]).sqrt()
    }
}

/// An octree and the sorted bodies it indexes. Buffers are reused from one build to the next.
#[derive(Clone, Debug, Default)]
pub(crate) struct Octree {
    pub nodes: Vec<Node>,
    /// Sorted position index → original index.
    pub order: Vec<u32>,
    keys: Vec<u64>,
    sort_buf: morton::SortBuffers,
    /// Positions and masses in sorted order.
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub z: Vec<f32>,
    pub m: Vec<f32>,
}

impl Octree {
    /// Rebuilds the tree over `p` with at most `leaf_size` bodies per leaf (more only for bodies that share
    /// a finest-level cell). An empty input gives an empty tree.
    pub fn build(&mut self, p: &Particles, leaf_size: usize, parallel: bool) {
        morton::sort(
            p,
            &mut self.keys,
            &mut self.order,
            &mut self.sort_buf,
            parallel,
        );
        for (dst, src) in [
            (&mut self.x, &p.x),
            (&mut self.y, &p.y),
            (&mut self.z, &p.z),
            (&mut self.m, &p.m),
        ] {
            dst.clear();
            dst.extend(self.order.iter().map(|&i| src[i as usize]));
        }
        self.nodes.clear();
        if p.is_empty() {
            return;
        }
        self.nodes.push(Node::default());
        self.build_node(0, 0, p.len(), 0, leaf_size.max(1));
    }

    /// Fills node `idx` for sorted bodies `start..end`, splitting on the octant at `level` and below.
    fn build_node(&mut self, idx: usize, start: usize, end: usize, level: u32, leaf_size: usize) {
        let mut level = level;
        let mut ranges = [(0usize, 0usize); 8];
        let mut n = 0;
        while end - start > leaf_size && level < BITS {
            let shift = 3 * (BITS - 1 - level);
            let oct = |k: u64| (k >> shift) & 7;
            n = 0;
            let mut s = start;
            while s < end {
                let o = oct(self.keys[s]);
                // Keys agree above `level` within a node, so octants are non-decreasing over the range.
                let e = s + self.keys[s..end].partition_point(|&k| oct(k) <= o);
                ranges[n] = (s, e);
                n += 1;
                s = e;
            }
            if n > 1 {
                break;
            }
            level += 1;
        }
        if n <= 1 {
            self.nodes[idx] = self.leaf(start, end);
            return;
        }
        let first = self.nodes.len();
        self.nodes.resize(first + n, Node::default());
        for (c, &(s, e)) in ranges[..n].iter().enumerate() {
            self.build_node(first + c, s, e, level + 1, leaf_size);
        }
        self.nodes[idx] = self.parent(start, end, first, n);
    }

    /// A leaf's moments from its bodies.
    fn leaf(&self, start: usize, end: usize) -> Node {
        let mut mass = 0.0f64;
        let mut mx = [0.0f64; 3];
        let mut lo = [f32::INFINITY; 3];
        let mut hi = [f32::NEG_INFINITY; 3];
        for i in start..end {
            let p = [self.x[i], self.y[i], self.z[i]];
            let m = f64::from(self.m[i]);
            mass += m;
            for k in 0..3 {
                mx[k] += m * f64::from(p[k]);
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        let com = centre(mass, mx, lo, hi);
        let mut r2 = 0.0f32;
        let mut quad = [0.0f64; 7];
        for i in start..end {
            let d = [self.x[i] - com[0], self.y[i] - com[1], self.z[i] - com[2]];
            r2 = r2.max(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            add_point_quad(&mut quad, f64::from(self.m[i]), d.map(f64::from));
        }
        Node {
            cell: cell(com, mass, quad),
            rmax: r2.sqrt(),
            lo,
            hi,
            start: start as u32,
            count: (end - start) as u32,
            first_child: 0,
            n_children: 0,
        }
    }

    /// A parent's moments from its children's.
    fn parent(&self, start: usize, end: usize, first: usize, n: usize) -> Node {
        let children = &self.nodes[first..first + n];
        let mut mass = 0.0f64;
        let mut mx = [0.0f64; 3];
        let mut lo = [f32::INFINITY; 3];
        let mut hi = [f32::NEG_INFINITY; 3];
        for c in children {
            let m = f64::from(c.cell.mass);
            mass += m;
            for k in 0..3 {
                mx[k] += m * f64::from(c.cell.com[k]);
                lo[k] = lo[k].min(c.lo[k]);
                hi[k] = hi[k].max(c.hi[k]);
            }
        }
        let com = centre(mass, mx, lo, hi);
        // The tighter of: children's spheres, and the farthest corner of the bounding box.
        let mut from_children = 0.0f32;
        let mut corner2 = 0.0f32;
        let mut quad = [0.0f64; 7];
        for c in children {
            let s = [0, 1, 2].map(|k| c.cell.com[k] - com[k]);
            from_children = from_children.max(dist(s) + c.rmax);
            // Parallel-axis shift of the child's quadrupole to this node's centre of mass.
            add_point_quad(&mut quad, f64::from(c.cell.mass), s.map(f64::from));
            for (q, cq) in quad
                .iter_mut()
                .zip(c.cell.quad.into_iter().chain([c.cell.trace]))
            {
                *q += f64::from(cq);
            }
        }
        for k in 0..3 {
            let d = (com[k] - lo[k]).max(hi[k] - com[k]);
            corner2 += d * d;
        }
        Node {
            cell: cell(com, mass, quad),
            rmax: from_children.min(corner2.sqrt()),
            lo,
            hi,
            start: start as u32,
            count: (end - start) as u32,
            first_child: first as u32,
            n_children: n as u32,
        }
    }
}

/// A cell record from f64 sums: moments as in [`Cell`], `quad[6]` the trace term.
fn cell(com: [f32; 3], mass: f64, quad: [f64; 7]) -> Cell {
    Cell {
        com,
        mass: mass as f32,
        quad: [0, 1, 2, 3, 4, 5].map(|k| quad[k] as f32),
        trace: quad[6] as f32,
    }
}

/// Centre of mass from Σm and Σm·x, or the box centre when the mass is not positive.
fn centre(mass: f64, mx: [f64; 3], lo: [f32; 3], hi: [f32; 3]) -> [f32; 3] {
    if mass > 0.0 {
        mx.map(|v| (v / mass) as f32)
    } else {
        [0, 1, 2].map(|k| 0.5 * (lo[k] + hi[k]))
    }
}

/// Adds the moments of a point mass `m` at offset `s`: 3 m sᵢsⱼ, then 1.5 m |s|² (see [`Cell`]).
fn add_point_quad(q: &mut [f64; 7], m: f64, s: [f64; 3]) {
    let m3 = 3.0 * m;
    q[0] += m3 * s[0] * s[0];
    q[1] += m3 * s[0] * s[1];
    q[2] += m3 * s[0] * s[2];
    q[3] += m3 * s[1] * s[1];
    q[4] += m3 * s[1] * s[2];
    q[5] += m3 * s[2] * s[2];
    q[6] += 1.5 * m * (s[0] * s[0] + s[1] * s[1] + s[2] * s[2]);
}

fn dist(d: [f32; 3]) -> f32 {
    (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
}
