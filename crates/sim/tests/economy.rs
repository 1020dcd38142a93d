//! Economy rules: costs charged exactly once, resources never negative, limits hold, rejected commands
//! change nothing, production accrues, offline progress, research and life.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use proptest::prelude::*;
use sim::{
    Applied, Balance, BodyId, BodyKind, Command, CommandKind, Event, LifeStage, PlayerId,
    Rejection, ResearchId, Resources, SpectralClass, World,
};

fn rich_balance_without_income() -> Arc<Balance> {
    let mut b = (*balance_without_income()).clone();
    b.player.starting_resources = Resources {
        cosmic_dust: 250_000.0,
        energy: 5_000.0,
        dark_matter: 12.0,
        ..Resources::ZERO
    };
    b.player.max_bodies = 6;
    b.world.max_bodies = 12;
    Arc::new(b)
}

fn kind_strategy() -> impl Strategy<Value = BodyKind> {
    prop_oneof![
        Just(BodyKind::Asteroid),
        Just(BodyKind::Comet),
        Just(BodyKind::Moon),
        Just(BodyKind::DwarfPlanet),
        Just(BodyKind::Planet),
        Just(BodyKind::Star(SpectralClass::G)),
        Just(BodyKind::BlackHole),
    ]
}

fn command_strategy() -> impl Strategy<Value = Command> {
    let coord = -60_000.0..60_000.0f64;
    let kind = prop_oneof![
        3 => Just(CommandKind::Join { away_seconds: 0.0 }),
        1 => Just(CommandKind::Leave),
        8 => (kind_strategy(), [coord.clone(), coord.clone(), -100.0..100.0f64], proptest::option::of([-4_000.0..4_000.0f64, -4_000.0..4_000.0, -10.0..10.0]))
            .prop_map(|(kind, position, velocity)| CommandKind::CreateBody { kind, position, velocity }),
        2 => (0u64..16).prop_map(|id| CommandKind::RemoveBody { body: BodyId(id) }),
        3 => proptest::sample::select(ResearchId::ALL.to_vec()).prop_map(|research| CommandKind::BuyResearch { research }),
    ];
    (1u64..=3, kind).prop_map(|(p, kind)| Command {
        player: PlayerId(p),
        kind,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// With no income, each player's resources after a tick equal those before minus the cost of each of
    /// their accepted commands, charged once; never negative; limits hold after every tick.
    #[test]
    fn costs_are_charged_exactly_once_and_limits_hold(ticks in proptest::collection::vec(proptest::collection::vec(command_strategy(), 0..6), 1..12)) {
        let balance = rich_balance_without_income();
        let mut world = World::new(balance.clone());
        for commands in ticks {
            let before: std::collections::BTreeMap<PlayerId, Resources> =
                world.players().map(|p| (p.id, p.resources)).collect();
            let report = world.step(&commands);
            let mut expected = before.clone();
            for (command, outcome) in commands.iter().zip(&report.outcomes) {
                let cost = match (outcome, &command.kind) {
                    (Ok(Applied::BodyCreated { .. }), CommandKind::CreateBody { kind, .. }) => balance.creation_cost(*kind),
                    (Ok(Applied::ResearchBought { research, level }), _) => balance.research.get(*research).cost_at(level - 1),
                    (Ok(Applied::Joined { .. }), _) => {
                        expected.entry(command.player).or_insert(balance.player.starting_resources);
                        continue;
                    }
                    _ => continue,
                };
                let have = expected.get_mut(&command.player).unwrap();
                *have = have.checked_sub(&cost).expect("an accepted command was affordable");
            }
            for p in world.players() {
                prop_assert!(p.resources.is_valid(), "negative or NaN resources: {:?}", p.resources);
                prop_assert_eq!(p.resources, expected[&p.id]);
                let limit = balance.player.max_bodies as usize
                    + p.research.bonus(&balance, ResearchId::BodyLimit).floor() as usize;
                prop_assert!(world.owned_count(p.id) <= limit);
            }
            prop_assert!(world.bodies().len() <= balance.world.max_bodies as usize);
        }
    }

    /// A rejected command leaves the world exactly as a tick without it would.
    #[test]
    fn rejected_commands_change_nothing(setup in proptest::collection::vec(command_strategy(), 0..10), probe in command_strategy()) {
        let mut world = World::new(rich_balance_without_income());
        world.step(&setup);
        let mut with = world.clone();
        let mut without = world;
        let report = with.step(std::slice::from_ref(&probe));
        without.step(&[]);
        if report.outcomes[0].is_err() {
            prop_assert_eq!(fingerprint(&with), fingerprint(&without));
            prop_assert_eq!(with.snapshot(), without.snapshot());
        }
    }
}

#[test]
fn typed_rejections() {
    let mut world = World::new(balance());
    let out = world
        .step(&[create(1, BodyKind::Asteroid, [0.0; 3])])
        .outcomes;
    assert_eq!(out[0], Err(Rejection::NotJoined));
    let r = world.balance().world.radius;
    let out = world
        .step(&[
            join(1),
            create(1, BodyKind::Asteroid, [r, 0.0, 0.0]),
            create(1, BodyKind::Asteroid, [f64::NAN, 0.0, 0.0]),
            create(1, BodyKind::Planet, [9_000.0, 0.0, 0.0]),
            create(1, BodyKind::Star(SpectralClass::G), [9_000.0, 0.0, 0.0]),
            create(1, BodyKind::Asteroid, [9_000.0, 0.0, 0.0]),
            create(1, BodyKind::Asteroid, [9_001.0, 0.0, 0.0]),
            Command {
                player: PlayerId(1),
                kind: CommandKind::RemoveBody { body: BodyId(999) },
            },
        ])
        .outcomes;
    assert_eq!(out[1], Err(Rejection::OutOfBounds { radius: r }));
    assert_eq!(out[2], Err(Rejection::NotFinite));
    assert!(
        matches!(out[3], Err(Rejection::NotEnoughResources { missing }) if missing.energy == 1000.0)
    );
    assert_eq!(
        out[4],
        Err(Rejection::Locked {
            requires: ResearchId::StellarIgnition
        })
    );
    assert_eq!(out[5], Ok(Applied::BodyCreated { body: BodyId(0) }));
    assert_eq!(out[6], Err(Rejection::OverlapsBody { body: BodyId(0) }));
    assert_eq!(out[7], Err(Rejection::NoSuchBody));
    let out = world
        .step(&[
            join(2),
            Command {
                player: PlayerId(2),
                kind: CommandKind::RemoveBody { body: BodyId(0) },
            },
        ])
        .outcomes;
    assert_eq!(out[1], Err(Rejection::NotOwner));
}

/// Production really accrues: base income plus each owned body's yield, for online players only.
#[test]
fn production_accrues_while_online() {
    let b = balance();
    let mut world = World::new(b.clone());
    world.step(&[join(1), create(1, BodyKind::Asteroid, [10_000.0, 0.0, 0.0])]);
    let rate = world.production_rate(PlayerId(1));
    assert_eq!(
        rate.cosmic_dust,
        b.player.base_income.cosmic_dust + b.bodies.asteroid.production.cosmic_dust
    );
    let before = world.player(PlayerId(1)).unwrap().resources.cosmic_dust;
    for _ in 0..b.world.tick_rate_hz {
        world.step(&[]);
    }
    let after = world.player(PlayerId(1)).unwrap().resources.cosmic_dust;
    assert!(
        (after - before - rate.cosmic_dust).abs() < 1e-9,
        "{before} → {after}, rate {rate:?}"
    );

    world.step(&[Command {
        player: PlayerId(1),
        kind: CommandKind::Leave,
    }]);
    let away = world.player(PlayerId(1)).unwrap().resources;
    for _ in 0..40 {
        world.step(&[]);
    }
    assert_eq!(
        world.player(PlayerId(1)).unwrap().resources,
        away,
        "offline players accrue nothing per tick"
    );
}

/// A returning player is paid for time away at the offline rate, capped at 24 hours.
#[test]
fn offline_progress_is_reduced_and_capped() {
    let b = balance();
    let mut world = World::new(b.clone());
    world.step(&[join(1)]);
    let rate = world.production_rate(PlayerId(1)).cosmic_dust;
    let leave = Command {
        player: PlayerId(1),
        kind: CommandKind::Leave,
    };
    let back = |s: f64| Command {
        player: PlayerId(1),
        kind: CommandKind::Join { away_seconds: s },
    };
    world.step(std::slice::from_ref(&leave));
    let out = world.step(&[back(3_600.0)]).outcomes;
    let Ok(Applied::Joined { offline_grant }) = &out[0] else {
        panic!("{out:?}")
    };
    assert!((offline_grant.cosmic_dust - rate * 3_600.0 * b.player.offline_rate).abs() < 1e-6);

    world.step(&[leave]);
    let out = world.step(&[back(30.0 * 24.0 * 3_600.0)]).outcomes;
    let Ok(Applied::Joined { offline_grant }) = &out[0] else {
        panic!("{out:?}")
    };
    let cap = rate * b.player.offline_cap_hours * 3_600.0 * b.player.offline_rate;
    assert!(
        (offline_grant.cosmic_dust - cap).abs() < 1e-6,
        "{} vs cap {cap}",
        offline_grant.cosmic_dust
    );

    // Joining again while online (a second tab) pays nothing.
    let out = world.step(&[back(3_600.0)]).outcomes;
    assert_eq!(
        out[0],
        Ok(Applied::Joined {
            offline_grant: Resources::ZERO
        })
    );
}

/// Research costs rise per level, stop at the maximum, and unlock stars.
#[test]
fn research_costs_rise_and_unlock() {
    let mut b = Balance::default();
    b.player.starting_resources = Resources {
        cosmic_dust: 1e9,
        dark_matter: 100.0,
        ..Resources::ZERO
    };
    let b = Arc::new(b);
    let mut world = World::new(b.clone());
    let buy = |r| Command {
        player: PlayerId(1),
        kind: CommandKind::BuyResearch { research: r },
    };
    world.step(&[join(1)]);
    let start = world.player(PlayerId(1)).unwrap().resources.cosmic_dust;
    let out = world
        .step(&[buy(ResearchId::DustYield), buy(ResearchId::DustYield)])
        .outcomes;
    assert_eq!(
        out[1],
        Ok(Applied::ResearchBought {
            research: ResearchId::DustYield,
            level: 2
        })
    );
    let spec = b.research.get(ResearchId::DustYield);
    assert!(spec.cost_at(1).cosmic_dust > spec.cost_at(0).cosmic_dust);
    let spent_or_more = start - world.player(PlayerId(1)).unwrap().resources.cosmic_dust;
    // Spent both levels, minus one tick of income.
    assert!(spent_or_more > spec.cost_at(0).cosmic_dust + spec.cost_at(1).cosmic_dust - 100.0);

    let out = world
        .step(&[
            buy(ResearchId::SingularityEngineering),
            buy(ResearchId::StellarIgnition),
            buy(ResearchId::StellarIgnition),
        ])
        .outcomes;
    assert_eq!(
        out[0],
        Err(Rejection::Locked {
            requires: ResearchId::StellarIgnition
        })
    );
    assert!(out[1].is_ok());
    assert_eq!(out[2], Err(Rejection::MaxLevel { max: 1 }));
    let out = world
        .step(&[create(
            1,
            BodyKind::Star(SpectralClass::K),
            [20_000.0, 0.0, 0.0],
        )])
        .outcomes;
    assert!(out[0].is_ok(), "{out:?}");
    assert_eq!(world.player(PlayerId(1)).unwrap().stats.stars_created, 1);
}

/// A planet at the optimal distance from a G star grows life through the stages; a collision resets it.
#[test]
fn life_grows_in_the_habitable_zone_and_collisions_reset_it() {
    let b = balance();
    let mut world = World::new(b.clone());
    let star_mass = b.base_mass(BodyKind::Star(SpectralClass::G));
    world.insert_body(body(
        BodyKind::Star(SpectralClass::G),
        star_mass,
        500.0,
        [0.0; 3],
        [0.0; 3],
    ));
    let r = 1_000.0; // flux 1 = optimal for a G star
    let v = (b.world.g * star_mass / r).sqrt();
    let planet = world.insert_body(body(
        BodyKind::Planet,
        1_000.0,
        80.0,
        [r, 0.0, 0.0],
        [0.0, v, 0.0],
    ));
    let ticks_per_year = (b.life.seconds_per_game_year * f64::from(b.world.tick_rate_hz)) as usize;
    let mut stages = Vec::new();
    for _ in 0..ticks_per_year * 6 {
        for e in world.step(&[]).events {
            if let Event::LifeAdvanced { body, stage } = e {
                assert_eq!(body, planet);
                stages.push(stage);
            }
        }
    }
    assert_eq!(stages, vec![LifeStage::Microbial, LifeStage::Plant]);
    let p = world.body(planet).unwrap().clone();
    assert!(p.life.habitability > 0.95, "{}", p.life.habitability);

    // An asteroid dropped onto the planet.
    let mut rock = body(BodyKind::Asteroid, 1.0, 5.0, p.position, p.velocity);
    rock.position[0] += 50.0;
    world.insert_body(rock);
    let events = world.step(&[]).events;
    assert!(
        events.contains(&Event::LifeLost { body: planet }),
        "{events:?}"
    );
    assert_eq!(world.body(planet).unwrap().life.stage, LifeStage::None);
}
