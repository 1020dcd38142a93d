//! The node's simulation budget. A world's cost is the body updates it makes per second — its bodies
//! times its tick rate — which is what its tick time grows with (`cosmic bench gravity`: a 1,000-body
//! world steps in about 0.46 ms, 0.46 µs per body update, on this project's 2-core machine). Every
//! world on the node counts, hibernating or not: it starts ticking again as soon as someone joins.
//!
//! A new world is admitted while the node's total stays within `quotas.node_budget` and its owner's
//! worlds within `quotas.owner_budget_share` of it; worlds the server itself runs (no owner) count
//! towards the node only.

use std::sync::atomic::Ordering;
use std::time::Duration;

use dashmap::DashMap;
use garden::worlds::WorldRegistry;

use super::{QuotaConfig, Refusal};

/// About one core's worth of body updates at ~0.5 µs each, leaving the other core to the network.
pub const DEFAULT_NODE_BUDGET: u64 = 2_000_000;

/// How long a refused creator is asked to wait (worlds hibernate after a minute without players,
/// but they still count; the wait is a hint, not a promise).
const RETRY_AFTER: Duration = Duration::from_secs(60);

/// Body updates per second.
pub fn cost(bodies: u64, tick_rate: u64) -> u64 {
    bodies.saturating_mul(tick_rate)
}

/// What the node's worlds cost now, and what the part owned by one account costs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub node: u64,
    pub owner: u64,
}

/// Sums every world's cost: its live body count (or the size it was created with, until it has
/// ticked) times its rate.
pub fn usage(worlds: &WorldRegistry, reserved: &DashMap<u64, u64>, owner: u64) -> Usage {
    let mut usage = Usage::default();
    for w in worlds.all() {
        let live = w.stats.bodies.load(Ordering::Relaxed);
        let bodies = reserved.get(&w.id).map_or(live, |r| live.max(*r));
        let c = cost(bodies, nominal_rate(&w));
        usage.node = usage.node.saturating_add(c);
        if w.settings.owner == Some(owner) {
            usage.owner = usage.owner.saturating_add(c);
        }
    }
    usage
}

/// A world's ticks per second at full speed (a world slowed down still counts at its full rate: it
/// is sped up again as soon as the budget allows).
pub fn nominal_rate(w: &garden::worlds::WorldHandle) -> u64 {
    let period = w.stats.nominal_period_nanos.load(Ordering::Relaxed);
    (1_000_000_000 + period / 2)
        .checked_div(period)
        .unwrap_or(0)
}

/// Admits a world costing `extra`, or says which budget it would break.
pub fn admit(config: &QuotaConfig, usage: Usage, extra: u64) -> Result<(), Refusal> {
    let budget = config.node_budget;
    if budget == 0 {
        return Ok(());
    }
    if usage.node.saturating_add(extra) > budget {
        return Err(Refusal::Budget {
            message: format!(
                "this server's simulation budget is taken ({} of {budget} body updates per second in use, \
                 this world needs {extra}): try a smaller or slower world, or later",
                usage.node
            ),
            retry_after: RETRY_AFTER,
        });
    }
    let share = (budget as f64 * config.owner_budget_share.clamp(0.0, 1.0)) as u64;
    if usage.owner.saturating_add(extra) > share {
        return Err(Refusal::Budget {
            message: format!(
                "your worlds may use at most {share} body updates per second on this server ({} in use, \
                 this world needs {extra}): try a smaller or slower world",
                usage.owner
            ),
            retry_after: RETRY_AFTER,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(node_budget: u64) -> QuotaConfig {
        QuotaConfig {
            node_budget,
            owner_budget_share: 0.25,
            ..QuotaConfig::default()
        }
    }

    #[test]
    fn a_world_is_admitted_within_both_budgets() {
        let c = config(1_000_000);
        assert_eq!(
            admit(
                &c,
                Usage {
                    node: 500_000,
                    owner: 100_000
                },
                150_000
            ),
            Ok(())
        );
    }

    #[test]
    fn the_node_budget_and_the_owner_share_each_refuse() {
        let c = config(1_000_000);
        let node = admit(
            &c,
            Usage {
                node: 900_000,
                owner: 0,
            },
            150_000,
        );
        assert!(
            matches!(node, Err(Refusal::Budget { ref message, .. }) if message.contains("server's"))
        );
        let owner = admit(
            &c,
            Usage {
                node: 300_000,
                owner: 200_000,
            },
            60_000,
        );
        assert!(
            matches!(owner, Err(Refusal::Budget { ref message, .. }) if message.contains("your worlds"))
        );
        assert_eq!(
            admit(
                &config(0),
                Usage {
                    node: u64::MAX,
                    owner: u64::MAX
                },
                1
            ),
            Ok(())
        );
    }

    #[test]
    fn cost_is_body_updates_per_second() {
        assert_eq!(cost(5_000, 60), 300_000);
        assert_eq!(cost(u64::MAX, 2), u64::MAX);
    }
}
