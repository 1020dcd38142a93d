//! Barnes–Hut with a group walk: one interaction list per bucket of bodies, evaluated with the SIMD kernel.
//!
//! Owns the tree walk and the leaf interactions. Bodies are grouped into buckets (the highest tree nodes with
//! at most `group_size` bodies). For each bucket one walk from the root collects the cells that pass the
//! opening criterion against the bucket's bounding box (with their mass, centre of mass and quadrupole) and
//! the bodies of every leaf it has to open; then the particle–particle and particle–cell kernels evaluate
//! that list against every bucket body. Buckets run in parallel, but each bucket's list and sums depend only on the tree, so the
//! result is bit-identical for any thread count. Results come back in original body order.

use rayon::prelude::*;

use super::cells::{self, Cell};
use super::kernel::{self, Out, Sources, Targets};
use super::octree::{Node, Octree};
use super::{Accelerations, GravityParams, Particles, SimdLevel};

/// Barnes–Hut tuning.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BarnesHutParams {
    /// Opening angle: a cell of radius `rmax` (around its centre of mass) is used as one point mass when
    /// `rmax < theta · d`, d being the distance from its centre of mass to the bucket's bounding box.
    /// 0 opens everything (exact direct sum); values above 1 are clamped to 1 so a cell never acts on its
    /// own bodies.
    pub theta: f32,
    /// Most bodies per tree leaf.
    pub leaf_size: usize,
    /// Most bodies per bucket sharing one interaction list.
    pub group_size: usize,
}

/// Scratch reused between evaluations: the tree, the buckets and sorted-order accelerations.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scratch {
    tree: Octree,
    groups: Vec<Group>,
    acc: [Vec<f32>; 3],
}

/// A bucket: a contiguous run of sorted bodies (one node, or several sibling nodes packed together) that
/// shares one interaction list.
#[derive(Clone, Copy, Debug)]
struct Group {
    start: u32,
    count: u32,
    lo: [f32; 3],
    hi: [f32; 3],
}

impl Group {
    fn of(node: &Node) -> Self {
        Self {
            start: node.start,
            count: node.count,
            lo: node.lo,
            hi: node.hi,
        }
    }

    /// Appends `node`, which must start where this group ends.
    fn absorb(&mut self, node: &Node) {
        self.count += node.count;
        for k in 0..3 {
            self.lo[k] = self.lo[k].min(node.lo[k]);
            self.hi[k] = self.hi[k].max(node.hi[k]);
        }
    }

    /// Squared distance from `p` to the group's bounding box (0 inside it).
    fn box_dist2(&self, p: [f32; 3]) -> f32 {
        let mut d2 = 0.0;
        for ((lo, hi), p) in self.lo.iter().zip(&self.hi).zip(p) {
            let d = (lo - p).max(p - hi).max(0.0);
            d2 += d * d;
        }
        d2
    }
}

/// One bucket's interaction list, reused across buckets on a thread: bodies of opened leaves (SoA, for the
/// particle kernel's broadcasts) and accepted cells (whole records).
#[derive(Default)]
struct List {
    x: Vec<f32>,
    y: Vec<f32>,
    z: Vec<f32>,
    m: Vec<f32>,
    cells: Vec<Cell>,
    stack: Vec<u32>,
}

impl List {
    fn clear(&mut self) {
        for v in [&mut self.x, &mut self.y, &mut self.z, &mut self.m] {
            v.clear();
        }
        self.cells.clear();
        self.stack.clear();
    }

    fn len(&self) -> usize {
        self.m.len() + self.cells.len()
    }
}

/// Barnes–Hut accelerations into `out` (resized to `p.len()`); returns the interactions evaluated
/// (bodies × list entries, summed over buckets).
pub(crate) fn barnes_hut(
    level: SimdLevel,
    parallel: bool,
    bh: &BarnesHutParams,
    p: &Particles,
    params: &GravityParams,
    out: &mut Accelerations,
    scratch: &mut Scratch,
) -> u64 {
    let n = p.len();
    out.reset(n);
    if n == 0 {
        return 0;
    }
    let Scratch { tree, groups, acc } = scratch;
    tree.build(p, bh.leaf_size.max(1), parallel);
    groups.clear();
    collect_groups(tree, 0, bh.group_size.max(1), groups);

    for a in acc.iter_mut() {
        a.clear();
        a.resize(n, 0.0);
    }
    let [ax, ay, az] = acc;
    let outs = split_by_groups(groups, ax, ay, az);
    let theta = bh.theta.clamp(0.0, 1.0);
    let eps2 = params.softening * params.softening;
    let tree = &*tree;
    let work = |list: &mut List, (group, mut o): (&Group, Out)| -> u64 {
        build_list(tree, group, theta, list);
        let (s, e) = (group.start as usize, (group.start + group.count) as usize);
        let t = Targets {
            x: &tree.x[s..e],
            y: &tree.y[s..e],
            z: &tree.z[s..e],
        };
        let src = Sources {
            x: &list.x,
            y: &list.y,
            z: &list.z,
            m: &list.m,
        };
        kernel::p2p(level, &t, &src, eps2, params.g, &mut o);
        cells::p2c(level, &t, &list.cells, eps2, params.g, &mut o);
        (e - s) as u64 * list.len() as u64
    };
    let interactions = if parallel {
        groups
            .par_iter()
            .zip(outs)
            .map_init(List::default, work)
            .sum()
    } else {
        let mut list = List::default();
        groups.iter().zip(outs).map(|w| work(&mut list, w)).sum()
    };
    for (k, &i) in tree.order.iter().enumerate() {
        let i = i as usize;
        out.x[i] = ax[k];
        out.y[i] = ay[k];
        out.z[i] = az[k];
    }
    interactions
}

/// The buckets, in depth-first (so sorted-body) order: nodes with at most `group_size` bodies (or leaves),
/// with consecutive small siblings packed together up to `group_size` so SIMD blocks stay full.
fn collect_groups(tree: &Octree, idx: u32, group_size: usize, groups: &mut Vec<Group>) {
    let node = &tree.nodes[idx as usize];
    if node.is_leaf() || node.count as usize <= group_size {
        groups.push(Group::of(node));
        return;
    }
    let mut pending: Option<Group> = None;
    for c in node.first_child..node.first_child + node.n_children {
        let child = &tree.nodes[c as usize];
        if child.count as usize > group_size && !child.is_leaf() {
            groups.extend(pending.take());
            collect_groups(tree, c, group_size, groups);
            continue;
        }
        match &mut pending {
            Some(g) if (g.count + child.count) as usize <= group_size => g.absorb(child),
            _ => {
                groups.extend(pending.take());
                pending = Some(Group::of(child));
            }
        }
    }
    groups.extend(pending);
}

/// Splits the sorted-order outputs into one [`Out`] per bucket. Buckets are contiguous and cover every body
/// in order, since they come from a depth-first walk.
fn split_by_groups<'a>(
    groups: &[Group],
    mut x: &'a mut [f32],
    mut y: &'a mut [f32],
    mut z: &'a mut [f32],
) -> Vec<Out<'a>> {
    let mut outs = Vec::with_capacity(groups.len());
    for g in groups {
        let k = (g.count as usize).min(x.len());
        let (hx, tx) = std::mem::take(&mut x).split_at_mut(k);
        let (hy, ty) = std::mem::take(&mut y).split_at_mut(k);
        let (hz, tz) = std::mem::take(&mut z).split_at_mut(k);
        outs.push(Out {
            x: hx,
            y: hy,
            z: hz,
        });
        (x, y, z) = (tx, ty, tz);
    }
    outs
}

/// Fills `list` with the sources acting on bucket `group`: accepted cells as point masses, and the bodies
/// of every leaf the criterion opens (including the bucket's own).
fn build_list(tree: &Octree, group: &Group, theta: f32, list: &mut List) {
    list.clear();
    list.stack.push(0);
    let theta2 = theta * theta;
    while let Some(idx) = list.stack.pop() {
        let node = &tree.nodes[idx as usize];
        let d2 = group.box_dist2(node.cell.com);
        if node.rmax * node.rmax < theta2 * d2 {
            list.cells.push(node.cell);
        } else if node.is_leaf() {
            let (s, e) = (node.start as usize, (node.start + node.count) as usize);
            list.x.extend_from_slice(&tree.x[s..e]);
            list.y.extend_from_slice(&tree.y[s..e]);
            list.z.extend_from_slice(&tree.z[s..e]);
            list.m.extend_from_slice(&tree.m[s..e]);
        } else {
            // Reversed so children are visited in key order.
            list.stack
                .extend((node.first_child..node.first_child + node.n_children).rev());
        }
    }
}
