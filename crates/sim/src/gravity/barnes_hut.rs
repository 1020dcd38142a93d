//! Barnes–Hut with a group walk and local expansions: one interaction list per bucket of bodies.
//!
//! Owns the tree walks and the criteria. Bodies are grouped into buckets (the highest tree nodes with at
//! most `group_size` bodies, small siblings packed together). Sources reach a bucket three ways:
//!
//! - far from the bucket's whole sphere (`rmax + r_bucket < θ_L · d`, d between the cell's centre of mass
//!   and the bucket's centre, θ_L = [`LOCAL_RATIO`] · θ): summed into the bucket's local expansion
//!   (`local`), once per bucket rather than once per body;
//! - far from the bucket's bounding box (`rmax < θ · d_box`): a quadrupole cell, evaluated per body
//!   (`cells`);
//! - otherwise opened, down to the bodies of leaves, evaluated per body (`kernel`).
//!
//! A top-down pass over the nodes too big to be buckets (`Walk::plan`) does the first test once per node,
//! so a bucket inherits the far field its ancestors collected (re-expanded about its centre) and only the
//! sources still undecided for its parent. Every node's and bucket's sums run in a fixed order that depends
//! only on the tree, and buckets are evaluated in parallel with no shared sums, so the result is
//! bit-identical for any thread count. Results come back in original body order.

use rayon::prelude::*;

use super::cells::{self, Cell};
use super::kernel::{self, Out, Sources, Targets};
use super::local::Local;
use super::octree::{Node, Octree};
use super::{Accelerations, GravityParams, Particles, SimdLevel};

/// Barnes–Hut tuning.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BarnesHutParams {
    /// Opening angle: a cell of radius `rmax` (around its centre of mass) is used as one quadrupole when
    /// `rmax < theta · d`, d being the distance from its centre of mass to the bucket's bounding box, and
    /// goes into the bucket's local expansion when `rmax + r < LOCAL_RATIO · theta · d'`, r being the
    /// bucket's radius and d' the distance to its centre. 0 opens everything (exact direct sum); values
    /// above 1 are clamped to 1 so a cell never acts on its own bodies.
    pub theta: f32,
    /// Most bodies per tree leaf.
    pub leaf_size: usize,
    /// Most bodies per bucket sharing one interaction list.
    pub group_size: usize,
}

/// The local-expansion opening angle as a fraction of `theta`. With the expansion of first order in δ for
/// the cell's quadrupole and third for its monopole, measured at theta 0.55 (leaf 16, bucket 128) as RMS
/// relative error on the 20k test set / 100k garden, and cell–body interactions per body (body–body:
/// 961 in all three): 0.6: 8.7e-4 / 5.2e-4, 701; 0.8: 8.7e-4 / 5.2e-4, 465; 1.0: 1.1e-3 / 7.0e-4, 326
/// (0.6 and 1.0 measured before the top-down pass existed, which changes cell counts by a few percent).
/// 0.8 moves the most cells into expansions for no measurable loss.
pub(crate) const LOCAL_RATIO: f32 = 0.8;

/// Scratch reused between evaluations: the tree, the buckets and sorted-order accelerations.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scratch {
    tree: Octree,
    plan: Vec<Planned>,
    acc: [Vec<f32>; 3],
}

/// A bucket with what the top-down pass handed it: the source nodes still undecided for its parent, and
/// the far field already summed for its parent, re-expanded about the bucket's centre.
#[derive(Clone, Debug)]
struct Planned {
    group: Group,
    sources: Vec<u32>,
    local: Local,
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

    fn centre(&self) -> [f32; 3] {
        let (lo, hi) = (self.lo, self.hi);
        [
            0.5 * (lo[0] + hi[0]),
            0.5 * (lo[1] + hi[1]),
            0.5 * (lo[2] + hi[2]),
        ]
    }

    /// Half the diagonal of the bounding box: every body is within it of [`Self::centre`].
    fn radius(&self) -> f32 {
        0.5 * dist3(sub(self.hi, self.lo))
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
    local: Local,
    /// Cells summed into `local` by this bucket's own walk.
    n_local: usize,
    stack: Vec<u32>,
}

impl List {
    fn clear(&mut self) {
        for v in [&mut self.x, &mut self.y, &mut self.z, &mut self.m] {
            v.clear();
        }
        self.cells.clear();
        self.n_local = 0;
        self.stack.clear();
    }

    fn len(&self) -> usize {
        self.m.len() + self.cells.len()
    }
}

/// Barnes–Hut accelerations into `out` (resized to `p.len()`); returns the interactions evaluated:
/// bodies × list entries, plus one per cell summed into a bucket's local expansion by the bucket's walk.
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
    let Scratch { tree, plan, acc } = scratch;
    tree.build(p, bh.leaf_size.max(1), parallel);
    let theta = bh.theta.clamp(0.0, 1.0);
    let eps2 = params.softening * params.softening;
    let theta_l = theta * LOCAL_RATIO;
    let walk = Walk {
        tree,
        theta,
        theta_l,
        eps2,
        group_size: bh.group_size.max(1),
    };
    plan.clear();
    let root = Local::about(tree.nodes[0].centre());
    walk.plan(0, &[0], &root, parallel, plan);

    for a in acc.iter_mut() {
        a.clear();
        a.resize(n, 0.0);
    }
    let [ax, ay, az] = acc;
    let outs = split_by_groups(plan, ax, ay, az);
    let tree = &*tree;
    let work = |list: &mut List, (planned, mut o): (&Planned, Out)| -> u64 {
        let group = &planned.group;
        walk.build_list(planned, list);
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
        list.local.eval(&t, params.g, &mut o);
        (e - s) as u64 * list.len() as u64 + list.n_local as u64
    };
    let interactions = if parallel {
        plan.par_iter()
            .zip(outs)
            .map_init(List::default, work)
            .sum()
    } else {
        let mut list = List::default();
        plan.iter().zip(outs).map(|w| work(&mut list, w)).sum()
    };
    for (k, &i) in tree.order.iter().enumerate() {
        let i = i as usize;
        out.x[i] = ax[k];
        out.y[i] = ay[k];
        out.z[i] = az[k];
    }
    interactions
}

/// Splits the sorted-order outputs into one [`Out`] per bucket. Buckets are contiguous and cover every body
/// in order, since they come from a depth-first walk.
fn split_by_groups<'a>(
    plan: &[Planned],
    mut x: &'a mut [f32],
    mut y: &'a mut [f32],
    mut z: &'a mut [f32],
) -> Vec<Out<'a>> {
    let mut outs = Vec::with_capacity(plan.len());
    for g in plan.iter().map(|p| &p.group) {
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

/// The tree and the criteria of one evaluation.
struct Walk<'a> {
    tree: &'a Octree,
    theta: f32,
    theta_l: f32,
    eps2: f32,
    group_size: usize,
}

impl Walk<'_> {
    /// Top-down pass over target node `idx` (too big to be one bucket, or the root): moves the `sources`
    /// far from the whole node into its local expansion `local` (about the node's centre), opening sources
    /// bigger than the node, then hands what is left to its children: big children recursively, small
    /// ones packed into buckets, in depth-first order, so buckets cover the sorted bodies in order.
    fn plan(
        &self,
        idx: u32,
        sources: &[u32],
        local: &Local,
        parallel: bool,
        out: &mut Vec<Planned>,
    ) {
        let node = &self.tree.nodes[idx as usize];
        if node.is_leaf() || node.count as usize <= self.group_size {
            out.push(Planned {
                group: Group::of(node),
                sources: sources.to_vec(),
                local: local.shifted(node.centre()),
            });
            return;
        }
        let (centre, radius) = (node.centre(), node.radius());
        let mut local = local.shifted(centre);
        let mut kept = Vec::with_capacity(sources.len() * 2);
        let mut stack: Vec<u32> = sources.iter().rev().copied().collect();
        while let Some(s) = stack.pop() {
            let src = &self.tree.nodes[s as usize];
            if src.rmax + radius < self.theta_l * dist3(sub(src.cell.com, centre)) {
                local.add(&src.cell, f64::from(self.eps2));
            } else if !src.is_leaf()
                && src.rmax > radius
                && src.rmax * src.rmax >= self.theta * self.theta * node.box_dist2(src.cell.com)
            {
                stack.extend((src.first_child..src.first_child + src.n_children).rev());
            } else {
                kept.push(s);
            }
        }
        // Children, with small consecutive ones packed into buckets of at most `group_size`.
        let mut items: Vec<Result<u32, Group>> = Vec::new();
        let mut pending: Option<Group> = None;
        for c in node.first_child..node.first_child + node.n_children {
            let child = &self.tree.nodes[c as usize];
            if child.count as usize > self.group_size && !child.is_leaf() {
                items.extend(pending.take().map(Err));
                items.push(Ok(c));
                continue;
            }
            match &mut pending {
                Some(g) if (g.count + child.count) as usize <= self.group_size => g.absorb(child),
                _ => {
                    items.extend(pending.take().map(Err));
                    pending = Some(Group::of(child));
                }
            }
        }
        items.extend(pending.map(Err));
        let one = |item: &Result<u32, Group>, out: &mut Vec<Planned>| match item {
            Ok(c) => self.plan(*c, &kept, &local, parallel, out),
            Err(g) => out.push(Planned {
                group: *g,
                sources: kept.clone(),
                local: local.shifted(g.centre()),
            }),
        };
        if parallel {
            let parts: Vec<Vec<Planned>> = items
                .par_iter()
                .map(|item| {
                    let mut v = Vec::new();
                    one(item, &mut v);
                    v
                })
                .collect();
            out.extend(parts.into_iter().flatten());
        } else {
            for item in &items {
                one(item, out);
            }
        }
    }

    /// Fills `list` with the sources acting on a bucket: the far field inherited from the top-down pass
    /// plus cells far from the whole bucket in its local expansion, cells far from its bounding box as
    /// point masses with quadrupoles, and the bodies of every leaf the criteria open (including its own).
    fn build_list(&self, planned: &Planned, list: &mut List) {
        let (tree, group) = (self.tree, &planned.group);
        list.clear();
        list.stack.extend(planned.sources.iter().rev());
        list.local.clone_from(&planned.local);
        let theta2 = self.theta * self.theta;
        let (centre, rg) = (group.centre(), group.radius());
        while let Some(idx) = list.stack.pop() {
            let node = &tree.nodes[idx as usize];
            if node.rmax + rg < self.theta_l * dist3(sub(node.cell.com, centre)) {
                list.local.add(&node.cell, f64::from(self.eps2));
                list.n_local += 1;
                continue;
            }
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
}

fn sub(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn dist3(d: [f32; 3]) -> f32 {
    (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
}
