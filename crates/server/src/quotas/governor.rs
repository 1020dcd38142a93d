//! Keeping the node within its simulation budget while worlds run. Admission ([`super::budget`])
//! refuses new worlds that would break the budget, but running worlds can still outgrow it: players
//! add bodies, or an operator lowers `quotas.node_budget` and restarts. Every few seconds the governor
//! adds up what the ticking worlds cost at full speed and, when that is over the budget, slows down
//! owned worlds (never the server's own) by lowering their `speed_percent`: first each owner's worlds
//! to the owner's share, then all owned worlds alike to what the server's own worlds leave over. A
//! slowed world ticks less often with the same time step, so its play slows down and stays exact; it
//! gets its speed back as soon as the budget allows.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use garden::worlds::{WorldHandle, WorldRegistry};
use tokio::sync::watch;

use super::QuotaConfig;
use super::budget::{cost, nominal_rate};

/// How often the governor looks.
pub const EVERY: Duration = Duration::from_secs(2);
/// The slowest a world is made to run, in percent of its tick rate.
pub const MIN_SPEED: u32 = 10;

/// One world as the governor sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Load {
    pub owner: Option<u64>,
    /// Body updates per second at full speed (0 for a hibernating world).
    pub cost: u64,
}

/// The speed (percent) each world should run at, in the order given.
pub fn speeds(config: &QuotaConfig, loads: &[Load]) -> Vec<u32> {
    let budget = config.node_budget;
    let full = vec![100; loads.len()];
    let total: u64 = loads.iter().map(|l| l.cost).sum();
    if budget == 0 || total <= budget {
        return full;
    }
    let unowned: u64 = loads
        .iter()
        .filter(|l| l.owner.is_none())
        .map(|l| l.cost)
        .sum();
    let mut per_owner: HashMap<u64, u64> = HashMap::new();
    for l in loads {
        if let Some(o) = l.owner {
            *per_owner.entry(o).or_default() += l.cost;
        }
    }
    let share = budget as f64 * config.owner_budget_share.clamp(0.0, 1.0);
    // Each owner first within its share, then everyone alike within what is left.
    let allowed: HashMap<u64, f64> = per_owner
        .iter()
        .map(|(&o, &c)| (o, (c as f64).min(share)))
        .collect();
    let left = budget.saturating_sub(unowned) as f64;
    let wanted: f64 = allowed.values().sum();
    let scale = if wanted > left { left / wanted } else { 1.0 };
    loads
        .iter()
        .map(|l| match l.owner {
            None => 100,
            Some(o) => {
                let c = per_owner[&o] as f64;
                if c == 0.0 {
                    return 100;
                }
                let fraction = allowed[&o] * scale / c;
                ((fraction * 100.0).floor() as u32).clamp(MIN_SPEED, 100)
            }
        })
        .collect()
}

fn load_of(w: &WorldHandle, now_ms: u64) -> Load {
    let period_ms = w.stats.period_nanos.load(Ordering::Relaxed) / 1_000_000;
    let last = w.stats.last_tick_at_ms.load(Ordering::Relaxed);
    // Hibernating (or not yet ticking) worlds cost nothing now.
    let ticking = last > 0 && now_ms.saturating_sub(last) <= (3 * period_ms).max(2_000);
    let bodies = w.stats.bodies.load(Ordering::Relaxed);
    Load {
        owner: w.settings.owner,
        cost: if ticking {
            cost(bodies, nominal_rate(w))
        } else {
            0
        },
    }
}

/// Looks once: sets every world's speed; returns how many run slowed down.
pub fn govern(config: &QuotaConfig, worlds: &WorldRegistry) -> usize {
    let now = crate::store::now_ms().max(0) as u64;
    let handles = worlds.all();
    let loads: Vec<Load> = handles.iter().map(|w| load_of(w, now)).collect();
    let speeds = speeds(config, &loads);
    let mut slowed = 0;
    for (w, speed) in handles.iter().zip(speeds) {
        let before = w.settings.speed_percent.swap(speed, Ordering::Relaxed);
        if speed < 100 {
            slowed += 1;
        }
        if before != speed {
            tracing::info!(world = w.id, owner = ?w.settings.owner, speed, "Simulation budget: world speed set.");
        }
    }
    crate::metrics::quotas::worlds_slowed(slowed);
    slowed
}

/// Runs [`govern`] every [`EVERY`] until shutdown (nothing without a budget).
pub fn spawn(
    config: QuotaConfig,
    worlds: WorldRegistry,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if config.node_budget == 0 {
            return;
        }
        let mut every = tokio::time::interval(EVERY);
        loop {
            tokio::select! {
                _ = every.tick() => { govern(&config, &worlds); }
                _ = shutdown.changed() => return,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(node_budget: u64, share: f64) -> QuotaConfig {
        QuotaConfig {
            node_budget,
            owner_budget_share: share,
            ..QuotaConfig::default()
        }
    }

    const fn load(owner: Option<u64>, cost: u64) -> Load {
        Load { owner, cost }
    }

    #[test]
    fn within_the_budget_everything_runs_at_full_speed() {
        let loads = [load(None, 500), load(Some(1), 400)];
        assert_eq!(speeds(&config(1_000, 0.5), &loads), vec![100, 100]);
        assert_eq!(
            speeds(&config(0, 0.5), &[load(Some(1), u64::MAX)]),
            vec![100]
        );
    }

    #[test]
    fn an_owner_over_its_share_is_slowed_to_it_and_others_are_not() {
        // Budget 1,000, share 250: owner 1 wants 1,000 (slowed to a quarter), owner 2 wants 100.
        let loads = [
            load(None, 100),
            load(Some(1), 600),
            load(Some(1), 400),
            load(Some(2), 100),
        ];
        assert_eq!(speeds(&config(1_000, 0.25), &loads), vec![100, 25, 25, 100]);
    }

    #[test]
    fn over_the_node_budget_owned_worlds_share_what_is_left() {
        // The server's world takes 600 of 1,000: the two owners' 800 get 400, half speed each.
        let loads = [load(None, 600), load(Some(1), 400), load(Some(2), 400)];
        assert_eq!(speeds(&config(1_000, 1.0), &loads), vec![100, 50, 50]);
        // Never below the floor, even with nothing left.
        let loads = [load(None, 2_000), load(Some(1), 400)];
        assert_eq!(speeds(&config(1_000, 1.0), &loads), vec![100, MIN_SPEED]);
    }
}
