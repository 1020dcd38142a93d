//! Quotas: how much one account or one client address may create, so that nobody can take what
//! everyone shares. Guests get smaller quotas than registered players: worlds owned, bodies a new
//! world is generated with, the live bodies it may ever hold, its tick rate and its player cap. New worlds and guest accounts are also
//! rate-limited per client address, and every world counts against this node's simulation budget
//! ([`budget`]), of which one owner may take only a share; worlds that outgrow it while running are
//! slowed down ([`governor`]). Stale guest accounts are removed ([`guests`]).
//!
//! A refusal is a [`Refusal`]; the API turns it into a typed error (403 `quota_exceeded`, 429
//! `too_many_requests`, 503 `simulation_budget_exhausted`).

mod address_rate;
pub mod budget;
pub mod governor;
pub mod guests;

use std::net::IpAddr;
use std::time::Duration;

use dashmap::DashMap;
use serde::{Deserialize, Serialize};

pub use address_rate::AddressRate;

/// `[quotas]`, as configured (see docs/configuration.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuotaConfig {
    /// Worlds a guest may own.
    pub guest_worlds: u32,
    /// Worlds a registered player may own.
    pub player_worlds: u32,
    /// Bodies a guest's new world may be generated with.
    pub guest_world_bodies: u32,
    pub player_world_bodies: u32,
    /// Live bodies a guest's world may ever hold (players add bodies as they play); fixed when the
    /// world is created.
    pub guest_world_max_bodies: u32,
    pub player_world_max_bodies: u32,
    /// Ticks per second a guest's world may run at.
    pub guest_tick_rate: u32,
    pub player_tick_rate: u32,
    /// Players a guest's world may admit at once.
    pub guest_max_players: u32,
    pub player_max_players: u32,
    /// New worlds one client address may create per hour (0: no limit).
    pub worlds_per_address_per_hour: u32,
    /// Guest accounts one client address may create per hour (0: no limit).
    pub guests_per_address_per_hour: u32,
    /// Body updates per second (bodies × ticks per second, summed over the node's worlds) this node
    /// runs at most (0: no budget).
    pub node_budget: u64,
    /// The share of the node's budget one owner's worlds may take (0–1).
    pub owner_budget_share: f64,
    /// A guest account unused for this many days is removed (0: never).
    pub guest_ttl_days: u32,
    /// Presets a guest may own…
    pub guest_presets: u32,
    /// …and a registered player.
    pub player_presets: u32,
}

impl Default for QuotaConfig {
    fn default() -> Self {
        Self {
            guest_worlds: 1,
            player_worlds: 10,
            guest_presets: 20,
            player_presets: 500,
            guest_world_bodies: 1_000,
            player_world_bodies: 5_000,
            guest_world_max_bodies: 2_000,
            player_world_max_bodies: 20_000,
            guest_tick_rate: 20,
            player_tick_rate: 60,
            guest_max_players: 100,
            player_max_players: 10_000,
            worlds_per_address_per_hour: 20,
            guests_per_address_per_hour: 120,
            node_budget: budget::DEFAULT_NODE_BUDGET,
            owner_budget_share: 0.25,
            guest_ttl_days: 30,
        }
    }
}

/// One kind of account's caps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub worlds: u32,
    pub world_bodies: u32,
    pub world_max_bodies: u32,
    pub tick_rate: u32,
    pub max_players: u32,
    pub presets: u32,
    /// `guests` or `players`, for messages.
    pub who: &'static str,
}

impl QuotaConfig {
    pub fn limits(&self, guest: bool) -> Limits {
        if guest {
            Limits {
                worlds: self.guest_worlds,
                world_bodies: self.guest_world_bodies,
                world_max_bodies: self.guest_world_max_bodies,
                tick_rate: self.guest_tick_rate,
                max_players: self.guest_max_players,
                presets: self.guest_presets,
                who: "guests",
            }
        } else {
            Limits {
                worlds: self.player_worlds,
                world_bodies: self.player_world_bodies,
                world_max_bodies: self.player_world_max_bodies,
                tick_rate: self.player_tick_rate,
                max_players: self.player_max_players,
                presets: self.player_presets,
                who: "players",
            }
        }
    }
}

/// Why something may not be created.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// Over the account's quota; `field` is the request field at fault (none: the count of worlds).
    Quota {
        field: Option<&'static str>,
        message: String,
    },
    /// Over a per-address rate: try again after `retry_after`.
    Rate {
        message: &'static str,
        retry_after: Duration,
    },
    /// Over the node's simulation budget or the owner's share of it.
    Budget {
        message: String,
        retry_after: Duration,
    },
}

impl Refusal {
    /// The label of `cosmic_quota_refusals_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Quota { .. } => "quota",
            Self::Rate { .. } => "rate",
            Self::Budget { .. } => "budget",
        }
    }
}

/// A world someone asks to create, already checked against the API's hard ranges.
#[derive(Clone, Copy, Debug)]
pub struct WorldAsk {
    pub owner: u64,
    pub guest: bool,
    /// Worlds the owner has now.
    pub owned: u64,
    pub bodies: u32,
    pub tick_rate: u32,
    pub max_players: u32,
    pub address: Option<IpAddr>,
}

/// The quotas' live state: the rates per address and the budget reserved by worlds just created.
#[derive(Debug)]
pub struct Quotas {
    pub config: QuotaConfig,
    pub new_worlds: AddressRate,
    pub new_guests: AddressRate,
    /// Checking and creating a world happen one at a time, so that two requests cannot both pass.
    pub creating: tokio::sync::Mutex<()>,
    /// Bodies each world was created with, counted until its ticks report more.
    reserved: DashMap<u64, u64>,
}

impl Quotas {
    pub fn new(config: QuotaConfig) -> Self {
        Self {
            new_worlds: AddressRate::per_hour(config.worlds_per_address_per_hour),
            new_guests: AddressRate::per_hour(config.guests_per_address_per_hour),
            config,
            creating: tokio::sync::Mutex::new(()),
            reserved: DashMap::new(),
        }
    }

    /// Checks a new world against the caps of its owner's kind (caps that can only be changed by the
    /// request come first), the budget, and last the address's rate, whose token it takes.
    pub fn check_world(
        &self,
        ask: &WorldAsk,
        worlds: &garden::worlds::WorldRegistry,
    ) -> Result<(), Refusal> {
        let l = self.config.limits(ask.guest);
        let over = |field: &'static str, what: &str, cap: u32| Refusal::Quota {
            field: Some(field),
            message: format!(
                "{} may create worlds of at most {cap} {what}{}",
                l.who,
                upgrade_hint(ask.guest)
            ),
        };
        if ask.bodies > l.world_bodies {
            return Err(over("bodies", "bodies", l.world_bodies));
        }
        if ask.tick_rate > l.tick_rate {
            return Err(over("tick_rate", "ticks per second", l.tick_rate));
        }
        if ask.max_players > l.max_players {
            return Err(over("max_players", "players", l.max_players));
        }
        if ask.owned >= u64::from(l.worlds) {
            return Err(Refusal::Quota {
                field: None,
                message: format!(
                    "{} may own at most {} worlds{}",
                    l.who,
                    l.worlds,
                    upgrade_hint(ask.guest)
                ),
            });
        }
        let usage = budget::usage(worlds, &self.reserved, ask.owner);
        budget::admit(
            &self.config,
            usage,
            budget::cost(ask.bodies.into(), ask.tick_rate.into()),
        )?;
        self.new_worlds
            .take(ask.address)
            .map_err(|retry_after| Refusal::Rate {
                message: "too many new worlds from this address: try again later",
                retry_after,
            })
    }

    /// Checks the caps a settings change must keep (`None`: unchanged).
    pub fn check_update(
        &self,
        guest: bool,
        tick_rate: Option<u32>,
        max_players: Option<u32>,
    ) -> Result<(), Refusal> {
        let l = self.config.limits(guest);
        let hint = upgrade_hint(guest);
        if let Some(rate) = tick_rate.filter(|r| *r > l.tick_rate) {
            return Err(Refusal::Quota {
                field: Some("tick_rate"),
                message: format!(
                    "{} may run worlds at most at {} ticks per second, not {rate}{hint}",
                    l.who, l.tick_rate
                ),
            });
        }
        if let Some(n) = max_players.filter(|n| *n > l.max_players) {
            return Err(Refusal::Quota {
                field: Some("max_players"),
                message: format!(
                    "{} may admit at most {} players, not {n}{hint}",
                    l.who, l.max_players
                ),
            });
        }
        Ok(())
    }

    /// Counts a world just created at its size until its ticks report.
    pub fn reserve(&self, world: u64, bodies: u32) {
        self.reserved.insert(world, bodies.into());
    }

    /// Takes a guest-account token of `address`.
    pub fn check_guest(&self, address: Option<IpAddr>) -> Result<(), Refusal> {
        self.new_guests
            .take(address)
            .map_err(|retry_after| Refusal::Rate {
                message: "too many guest accounts from this address: sign in, or try again later",
                retry_after,
            })
    }
}

fn upgrade_hint(guest: bool) -> &'static str {
    if guest { " (register to raise it)" } else { "" }
}
