//! The six resources a player holds, and the arithmetic the economy needs on them.
//!
//! Amounts are f64 and never negative: spending is checked first ([`Resources::checked_sub`]) and
//! production only adds non-negative amounts.

use serde::{Deserialize, Serialize};

/// An amount of each resource: a balance, a cost, or a rate per second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Resources {
    pub cosmic_dust: f64,
    pub energy: f64,
    pub organic_matter: f64,
    pub biomass: f64,
    pub dark_matter: f64,
    pub thought_points: f64,
}

/// The names of the fields, in declaration order, as they appear in balance files and on the wire.
pub const RESOURCE_NAMES: [&str; 6] = [
    "cosmic_dust",
    "energy",
    "organic_matter",
    "biomass",
    "dark_matter",
    "thought_points",
];

impl Resources {
    pub const ZERO: Self = Self {
        cosmic_dust: 0.0,
        energy: 0.0,
        organic_matter: 0.0,
        biomass: 0.0,
        dark_matter: 0.0,
        thought_points: 0.0,
    };

    pub fn dust(amount: f64) -> Self {
        Self {
            cosmic_dust: amount,
            ..Self::ZERO
        }
    }

    /// The amounts as an array, in [`RESOURCE_NAMES`] order.
    pub fn to_array(self) -> [f64; 6] {
        [
            self.cosmic_dust,
            self.energy,
            self.organic_matter,
            self.biomass,
            self.dark_matter,
            self.thought_points,
        ]
    }

    pub fn from_array(a: [f64; 6]) -> Self {
        Self {
            cosmic_dust: a[0],
            energy: a[1],
            organic_matter: a[2],
            biomass: a[3],
            dark_matter: a[4],
            thought_points: a[5],
        }
    }

    fn zip(self, other: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        let (a, b) = (self.to_array(), other.to_array());
        Self::from_array(std::array::from_fn(|i| f(a[i], b[i])))
    }

    /// `self + other × factor`, field by field.
    pub fn add_scaled(&mut self, other: &Self, factor: f64) {
        *self = self.zip(*other, |a, b| a + b * factor);
    }

    pub fn scaled(self, factor: f64) -> Self {
        Self::from_array(self.to_array().map(|v| v * factor))
    }

    /// Field-by-field product, e.g. a rate times per-resource multipliers.
    pub fn times(self, other: Self) -> Self {
        self.zip(other, |a, b| a * b)
    }

    /// Whether every field of `self` covers the same field of `cost`.
    pub fn covers(&self, cost: &Self) -> bool {
        self.to_array()
            .iter()
            .zip(cost.to_array())
            .all(|(have, need)| *have >= need)
    }

    /// What is missing to pay `cost` (zero where `self` suffices).
    pub fn shortfall(&self, cost: &Self) -> Self {
        self.zip(*cost, |have, need| (need - have).max(0.0))
    }

    /// `self − cost` if every field covers it, else `None` (and `self` is unchanged).
    pub fn checked_sub(&self, cost: &Self) -> Option<Self> {
        self.covers(cost)
            .then(|| self.zip(*cost, |have, need| have - need))
    }

    /// Whether every field is finite and not negative.
    pub fn is_valid(&self) -> bool {
        self.to_array().iter().all(|v| v.is_finite() && *v >= 0.0)
    }

    /// The first field that is negative or not finite, by name.
    pub fn first_invalid(&self) -> Option<&'static str> {
        self.to_array()
            .iter()
            .position(|v| !v.is_finite() || *v < 0.0)
            .map(|i| RESOURCE_NAMES[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_sub_refuses_without_change() {
        let have = Resources::dust(50.0);
        assert_eq!(have.checked_sub(&Resources::dust(100.0)), None);
        assert_eq!(
            have.shortfall(&Resources::dust(100.0)),
            Resources::dust(50.0)
        );
        assert_eq!(
            have.checked_sub(&Resources::dust(20.0)),
            Some(Resources::dust(30.0))
        );
    }

    #[test]
    fn first_invalid_names_the_field() {
        let r = Resources {
            energy: -1.0,
            ..Resources::ZERO
        };
        assert_eq!(r.first_invalid(), Some("energy"));
        assert!(Resources::dust(1.0).is_valid());
    }
}
