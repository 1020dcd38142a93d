//! What changed between two show states, as `cosmic.live.v1` sends it: the parameters set and removed,
//! the layers changed (whole) and removed, the preset and the tempo when they changed. Applying the delta
//! of `a → b` to `a` gives `b` exactly (tested below).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::state::{Layer, Params, ShowState, Tempo};

/// The change from the state at `base` to the state at `version`. Parts that did not change are left out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StateDelta {
    #[ts(type = "number")]
    pub base: u64,
    #[ts(type = "number")]
    pub version: u64,
    #[ts(type = "number")]
    pub timestamp: i64,
    /// Parameters added or changed.
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    #[ts(as = "Option<Params>", optional)]
    pub parameters: Params,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<String>>", optional)]
    pub removed_parameters: Vec<String>,
    /// Layers added or changed, whole (their `order` places them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<Layer>>", optional)]
    pub layers: Vec<Layer>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<String>>", optional)]
    pub removed_layers: Vec<String>,
    /// The active preset when it changed: its id, or `""` when it was cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub active_preset_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub tempo: Option<Tempo>,
}

impl StateDelta {
    /// The change from `from` to `to`.
    pub fn between(from: &ShowState, to: &ShowState) -> Self {
        let parameters = to
            .parameters
            .iter()
            .filter(|(k, v)| from.parameters.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let removed_parameters = from
            .parameters
            .keys()
            .filter(|k| !to.parameters.contains_key(*k))
            .cloned()
            .collect();
        let layers = to
            .layers
            .iter()
            .filter(|l| !from.layers.contains(l))
            .cloned()
            .collect();
        let removed_layers = from
            .layers
            .iter()
            .filter(|l| !to.layers.iter().any(|t| t.id == l.id))
            .map(|l| l.id.clone())
            .collect();
        let active_preset_id = (from.active_preset_id != to.active_preset_id)
            .then(|| to.active_preset_id.clone().unwrap_or_default());
        Self {
            base: from.version,
            version: to.version,
            timestamp: to.timestamp,
            parameters,
            removed_parameters,
            layers,
            removed_layers,
            active_preset_id,
            tempo: (from.tempo != to.tempo).then_some(to.tempo),
        }
    }

    /// `state` (at `base`) with the change applied; layers sorted as the server sorts them.
    pub fn apply_to(&self, state: &mut ShowState) {
        state.version = self.version;
        state.timestamp = self.timestamp;
        for k in &self.removed_parameters {
            state.parameters.remove(k);
        }
        state.parameters.extend(self.parameters.clone());
        state.layers.retain(|l| {
            !self.removed_layers.contains(&l.id) && !self.layers.iter().any(|n| n.id == l.id)
        });
        state.layers.extend(self.layers.iter().cloned());
        state
            .layers
            .sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.id.cmp(&b.id)));
        if let Some(id) = &self.active_preset_id {
            state.active_preset_id = (!id.is_empty()).then(|| id.clone());
        }
        if let Some(t) = self.tempo {
            state.tempo = t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{BlendMode, Value};

    fn layer(id: &str, order: i32, opacity: f64) -> Layer {
        Layer {
            id: id.into(),
            name: id.into(),
            effect_type: "tunnel".into(),
            opacity,
            visible: true,
            blend_mode: BlendMode::Add,
            order,
            parameters: Params::from([("speed".into(), Value::Number(opacity))]),
            last_modified: 1,
        }
    }

    fn state(
        version: u64,
        params: &[(&str, f64)],
        layers: Vec<Layer>,
        preset: Option<&str>,
    ) -> ShowState {
        ShowState {
            version,
            timestamp: version as i64 * 10,
            parameters: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::Number(*v)))
                .collect(),
            layers,
            active_preset_id: preset.map(str::to_owned),
            tempo: Tempo {
                bpm: 100.0 + version as f64,
                beat_origin: 0,
            },
        }
    }

    #[test]
    fn applying_the_delta_gives_the_new_state() {
        let states = [
            ShowState::default(),
            state(1, &[("hue", 0.5)], vec![], None),
            state(
                2,
                &[("hue", 0.6), ("zoom", 2.0)],
                vec![layer("a", 0, 1.0)],
                Some("7"),
            ),
            state(
                3,
                &[("zoom", 2.0)],
                vec![layer("b", 0, 0.5), layer("a", 1, 1.0)],
                Some("7"),
            ),
            state(4, &[], vec![layer("a", 1, 0.2)], None),
            state(
                5,
                &[("x", 1.0)],
                vec![layer("c", -3, 0.1), layer("a", 1, 0.2), layer("d", 9, 1.0)],
                Some("9"),
            ),
        ];
        for from in &states {
            for to in &states {
                let mut got = from.clone();
                StateDelta::between(from, to).apply_to(&mut got);
                assert_eq!(&got, to, "delta {} → {}", from.version, to.version);
            }
        }
    }

    #[test]
    fn an_unchanged_part_is_left_out() {
        let a = state(
            2,
            &[("hue", 0.6), ("zoom", 2.0)],
            vec![layer("a", 0, 1.0)],
            Some("7"),
        );
        let mut b = a.clone();
        b.version = 3;
        b.parameters.insert("hue".into(), Value::Number(0.7));
        let d = StateDelta::between(&a, &b);
        let json = serde_json::to_value(&d).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"base": 2, "version": 3, "timestamp": 20, "parameters": {"hue": 0.7}})
        );
    }
}
