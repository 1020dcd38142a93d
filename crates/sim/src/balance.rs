//! Balance: every tunable number of the game rules, loaded from one TOML file and validated.
//!
//! The default file (`crates/sim/data/balance.toml`) is compiled in. [`Balance::from_toml`] parses a changed
//! copy; the caller reads the file (the simulation does no I/O). A bad value is reported with its key.

use serde::{Deserialize, Serialize};

use crate::body::{BodyKind, SpectralClass};
use crate::research_id::ResearchId;
use crate::resources::{RESOURCE_NAMES, Resources};

/// The compiled-in default balance file.
pub const DEFAULT_BALANCE_TOML: &str = include_str!("../data/balance.toml");

/// Why a balance file was refused.
#[derive(Debug, thiserror::Error)]
pub enum BalanceError {
    #[error("balance file is not valid TOML for the expected layout: {0}")]
    Parse(#[from] Box<toml::de::Error>),
    #[error("balance value `{key}` is invalid: {message}")]
    Invalid { key: String, message: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Balance {
    pub world: WorldSpec,
    pub player: PlayerSpec,
    pub bodies: BodySpecs,
    pub stars: StarSpecs,
    pub collisions: CollisionSpec,
    pub life: LifeSpec,
    pub research: ResearchSpecs,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldSpec {
    pub g: f64,
    pub softening: f64,
    pub radius: f64,
    pub tick_rate_hz: u32,
    pub max_bodies: u32,
    pub max_spawn_speed: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlayerSpec {
    pub starting_resources: Resources,
    pub base_income: Resources,
    pub max_bodies: u32,
    pub offline_rate: f64,
    pub offline_cap_hours: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodySpec {
    pub mass: f64,
    pub radius: f64,
    pub cost: Resources,
    pub production: Resources,
    #[serde(default)]
    pub requires: Option<ResearchId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodySpecs {
    pub asteroid: BodySpec,
    pub comet: BodySpec,
    pub moon: BodySpec,
    pub dwarf_planet: BodySpec,
    pub planet: BodySpec,
    pub star: BodySpec,
    pub black_hole: BodySpec,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarSpec {
    pub mass_factor: f64,
    pub luminosity: f64,
    pub energy: f64,
    pub cost_factor: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarSpecs {
    pub o: StarSpec,
    pub b: StarSpec,
    pub a: StarSpec,
    pub f: StarSpec,
    pub g: StarSpec,
    pub k: StarSpec,
    pub m: StarSpec,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollisionSpec {
    pub black_hole_collapse_mass: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifeSpec {
    pub seconds_per_game_year: f64,
    pub optimal_flux: f64,
    pub flux_tolerance: f64,
    pub min_planet_mass: f64,
    pub max_planet_mass: f64,
    pub years_to_microbial: f64,
    pub years_to_plant: f64,
    pub years_to_animal: f64,
    pub years_to_intelligent: f64,
    pub microbial: Resources,
    pub plant: Resources,
    pub animal: Resources,
    pub intelligent: Resources,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResearchSpec {
    pub base_cost: Resources,
    pub cost_growth: f64,
    pub max_level: u32,
    pub effect: f64,
    #[serde(default)]
    pub requires: Option<ResearchId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResearchSpecs {
    pub dust_yield: ResearchSpec,
    pub energy_yield: ResearchSpec,
    pub life_growth: ResearchSpec,
    pub body_limit: ResearchSpec,
    pub offline_efficiency: ResearchSpec,
    pub stellar_ignition: ResearchSpec,
    pub singularity_engineering: ResearchSpec,
}

impl ResearchSpecs {
    pub fn get(&self, id: ResearchId) -> &ResearchSpec {
        match id {
            ResearchId::DustYield => &self.dust_yield,
            ResearchId::EnergyYield => &self.energy_yield,
            ResearchId::LifeGrowth => &self.life_growth,
            ResearchId::BodyLimit => &self.body_limit,
            ResearchId::OfflineEfficiency => &self.offline_efficiency,
            ResearchId::StellarIgnition => &self.stellar_ignition,
            ResearchId::SingularityEngineering => &self.singularity_engineering,
        }
    }
}

impl StarSpecs {
    pub fn get(&self, class: SpectralClass) -> &StarSpec {
        match class {
            SpectralClass::O => &self.o,
            SpectralClass::B => &self.b,
            SpectralClass::A => &self.a,
            SpectralClass::F => &self.f,
            SpectralClass::G => &self.g,
            SpectralClass::K => &self.k,
            SpectralClass::M => &self.m,
        }
    }
}

impl Default for Balance {
    fn default() -> Self {
        #[allow(clippy::expect_used)] // The compiled-in file is checked by a unit test.
        Self::from_toml(DEFAULT_BALANCE_TOML).expect("the compiled-in balance file is valid")
    }
}

impl Balance {
    /// Parses and validates a balance file's text.
    pub fn from_toml(text: &str) -> Result<Self, BalanceError> {
        let balance: Balance = toml::from_str(text).map_err(Box::new)?;
        balance.validate()?;
        Ok(balance)
    }

    /// Fixed time step in seconds.
    pub fn dt(&self) -> f64 {
        1.0 / f64::from(self.world.tick_rate_hz)
    }

    /// The spec of a kind (stars share one spec, scaled by class).
    pub fn body(&self, kind: BodyKind) -> &BodySpec {
        match kind {
            BodyKind::Asteroid => &self.bodies.asteroid,
            BodyKind::Comet => &self.bodies.comet,
            BodyKind::Moon => &self.bodies.moon,
            BodyKind::DwarfPlanet => &self.bodies.dwarf_planet,
            BodyKind::Planet => &self.bodies.planet,
            BodyKind::Star(_) => &self.bodies.star,
            BodyKind::BlackHole => &self.bodies.black_hole,
        }
    }

    /// Mass a new body of this kind starts with.
    pub fn base_mass(&self, kind: BodyKind) -> f64 {
        match kind {
            BodyKind::Star(class) => self.bodies.star.mass * self.stars.get(class).mass_factor,
            _ => self.body(kind).mass,
        }
    }

    /// What creating a body of this kind costs.
    pub fn creation_cost(&self, kind: BodyKind) -> Resources {
        match kind {
            BodyKind::Star(class) => self
                .bodies
                .star
                .cost
                .scaled(self.stars.get(class).cost_factor),
            _ => self.body(kind).cost,
        }
    }

    /// Radius of a body of `kind` with `mass`: the kind's radius scaled by mass (volume for ordinary
    /// matter, linearly for black holes, like a Schwarzschild radius).
    pub fn radius_for(&self, kind: BodyKind, mass: f64) -> f64 {
        let base = self.base_mass(kind);
        let ratio = (mass / base).max(f64::MIN_POSITIVE);
        let r = self.body(kind).radius;
        match kind {
            BodyKind::BlackHole => r * ratio,
            BodyKind::Star(class) => r * self.stars.get(class).mass_factor.cbrt() * ratio.cbrt(),
            _ => r * ratio.cbrt(),
        }
    }

    /// The class of a star of this mass: the hottest class whose mass it reaches, else the coolest.
    pub fn star_class_for(&self, mass: f64) -> SpectralClass {
        SpectralClass::ALL
            .into_iter()
            .find(|c| mass >= self.base_mass(BodyKind::Star(*c)))
            .unwrap_or(SpectralClass::M)
    }

    /// Checks every value and names the first bad one.
    pub fn validate(&self) -> Result<(), BalanceError> {
        let w = &self.world;
        positive("world.g", w.g)?;
        positive("world.softening", w.softening)?;
        positive("world.radius", w.radius)?;
        check(
            "world.tick_rate_hz",
            (1..=60).contains(&w.tick_rate_hz),
            "must be 1..=60",
        )?;
        check("world.max_bodies", w.max_bodies >= 1, "must be at least 1")?;
        positive("world.max_spawn_speed", w.max_spawn_speed)?;

        let p = &self.player;
        resources("player.starting_resources", &p.starting_resources)?;
        resources("player.base_income", &p.base_income)?;
        check("player.max_bodies", p.max_bodies >= 1, "must be at least 1")?;
        fraction("player.offline_rate", p.offline_rate)?;
        non_negative("player.offline_cap_hours", p.offline_cap_hours)?;

        for (name, spec) in self.body_specs() {
            positive(&format!("bodies.{name}.mass"), spec.mass)?;
            positive(&format!("bodies.{name}.radius"), spec.radius)?;
            check(
                &format!("bodies.{name}.radius"),
                spec.radius < w.radius,
                "must be smaller than world.radius",
            )?;
            resources(&format!("bodies.{name}.cost"), &spec.cost)?;
            resources(&format!("bodies.{name}.production"), &spec.production)?;
        }
        let mut previous = f64::INFINITY;
        for class in SpectralClass::ALL {
            let key = format!("stars.{}", format!("{class:?}").to_lowercase());
            let s = self.stars.get(class);
            positive(&format!("{key}.mass_factor"), s.mass_factor)?;
            check(
                &format!("{key}.mass_factor"),
                s.mass_factor < previous,
                "must fall from class O to class M",
            )?;
            previous = s.mass_factor;
            non_negative(&format!("{key}.luminosity"), s.luminosity)?;
            non_negative(&format!("{key}.energy"), s.energy)?;
            positive(&format!("{key}.cost_factor"), s.cost_factor)?;
        }
        positive(
            "collisions.black_hole_collapse_mass",
            self.collisions.black_hole_collapse_mass,
        )?;

        let l = &self.life;
        positive("life.seconds_per_game_year", l.seconds_per_game_year)?;
        positive("life.optimal_flux", l.optimal_flux)?;
        check(
            "life.flux_tolerance",
            l.flux_tolerance > 1.0,
            "must be greater than 1",
        )?;
        positive("life.min_planet_mass", l.min_planet_mass)?;
        check(
            "life.max_planet_mass",
            l.max_planet_mass > l.min_planet_mass,
            "must be greater than life.min_planet_mass",
        )?;
        let stages = [
            ("life.years_to_microbial", l.years_to_microbial),
            ("life.years_to_plant", l.years_to_plant),
            ("life.years_to_animal", l.years_to_animal),
            ("life.years_to_intelligent", l.years_to_intelligent),
        ];
        let mut previous = 0.0;
        for (key, years) in stages {
            positive(key, years)?;
            check(key, years > previous, "must rise from stage to stage")?;
            previous = years;
        }
        for (key, r) in [
            ("life.microbial", &l.microbial),
            ("life.plant", &l.plant),
            ("life.animal", &l.animal),
            ("life.intelligent", &l.intelligent),
        ] {
            resources(key, r)?;
        }

        for id in ResearchId::ALL {
            let key = format!("research.{}", id.key());
            let r = self.research.get(id);
            resources(&format!("{key}.base_cost"), &r.base_cost)?;
            check(
                &format!("{key}.cost_growth"),
                r.cost_growth.is_finite() && r.cost_growth >= 1.0,
                "must be at least 1 (costs never fall)",
            )?;
            check(
                &format!("{key}.max_level"),
                r.max_level >= 1,
                "must be at least 1",
            )?;
            non_negative(&format!("{key}.effect"), r.effect)?;
            check(
                &format!("{key}.requires"),
                r.requires != Some(id),
                "a research cannot require itself",
            )?;
        }
        Ok(())
    }

    fn body_specs(&self) -> [(&'static str, &BodySpec); 7] {
        let b = &self.bodies;
        [
            ("asteroid", &b.asteroid),
            ("comet", &b.comet),
            ("moon", &b.moon),
            ("dwarf_planet", &b.dwarf_planet),
            ("planet", &b.planet),
            ("star", &b.star),
            ("black_hole", &b.black_hole),
        ]
    }
}

fn check(key: &str, ok: bool, message: &str) -> Result<(), BalanceError> {
    if ok {
        Ok(())
    } else {
        Err(BalanceError::Invalid {
            key: key.to_string(),
            message: message.to_string(),
        })
    }
}

fn positive(key: &str, v: f64) -> Result<(), BalanceError> {
    check(
        key,
        v.is_finite() && v > 0.0,
        &format!("must be a finite number above 0, got {v}"),
    )
}

fn non_negative(key: &str, v: f64) -> Result<(), BalanceError> {
    check(
        key,
        v.is_finite() && v >= 0.0,
        &format!("must be a finite number of at least 0, got {v}"),
    )
}

fn fraction(key: &str, v: f64) -> Result<(), BalanceError> {
    check(
        key,
        (0.0..=1.0).contains(&v),
        &format!("must be between 0 and 1, got {v}"),
    )
}

fn resources(key: &str, r: &Resources) -> Result<(), BalanceError> {
    match r.first_invalid() {
        None => Ok(()),
        Some(field) => {
            let value = r.to_array()[RESOURCE_NAMES.iter().position(|n| *n == field).unwrap_or(0)];
            check(
                &format!("{key}.{field}"),
                false,
                &format!("must be a finite number of at least 0, got {value}"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_is_valid() {
        Balance::from_toml(DEFAULT_BALANCE_TOML).unwrap();
    }

    #[test]
    fn bad_value_names_its_key() {
        let text = DEFAULT_BALANCE_TOML.replace("tick_rate_hz = 20", "tick_rate_hz = 0");
        let err = Balance::from_toml(&text).unwrap_err().to_string();
        assert!(err.contains("world.tick_rate_hz"), "{err}");

        let text = DEFAULT_BALANCE_TOML.replace(
            "cost = { cosmic_dust = 500.0 }",
            "cost = { cosmic_dust = -500.0 }",
        );
        let err = Balance::from_toml(&text).unwrap_err().to_string();
        assert!(err.contains("bodies.comet.cost.cosmic_dust"), "{err}");
    }

    #[test]
    fn unknown_key_is_refused_by_name() {
        let text = DEFAULT_BALANCE_TOML.replace("[collisions]", "[collisions]\nbogus = 1");
        let err = Balance::from_toml(&text).unwrap_err().to_string();
        assert!(err.contains("bogus"), "{err}");
    }

    #[test]
    fn star_class_follows_mass() {
        let b = Balance::default();
        let g = b.base_mass(BodyKind::Star(SpectralClass::G));
        assert_eq!(b.star_class_for(g), SpectralClass::G);
        assert_eq!(b.star_class_for(g * 100.0), SpectralClass::O);
        assert_eq!(b.star_class_for(1.0), SpectralClass::M);
    }
}
