//! A room's show state and the operations that change it: validated against [`Limits`] before
//! anything changes, so a refused operation leaves the state as it was. Each accepted operation bumps
//! `version`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ErrorCode, LiveError};

/// A parameter's value: a number, a switch, a short text or a short list of numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Number(f64),
    Text(String),
    Numbers(Vec<f64>),
}

/// Parameters by name (sorted, so a state serializes the same way every time).
pub type Params = BTreeMap<String, Value>;

/// How a layer is composited over the ones below it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum BlendMode {
    #[default]
    Normal,
    Add,
    Multiply,
    Screen,
    Overlay,
    Difference,
    Lighten,
    Darken,
}

/// One visual layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Layer {
    pub id: String,
    pub name: String,
    pub effect_type: String,
    pub opacity: f64,
    pub visible: bool,
    pub blend_mode: BlendMode,
    pub order: i32,
    pub parameters: Params,
    /// Server time (ms) of the layer's last change.
    #[ts(type = "number")]
    pub last_modified: i64,
}

/// The show's tempo: beats per minute and the server time (ms) of one beat, from which every display
/// computes the same beat phase.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Tempo {
    pub bpm: f64,
    #[ts(type = "number")]
    pub beat_origin: i64,
}

impl Default for Tempo {
    fn default() -> Self {
        Self {
            bpm: 120.0,
            beat_origin: 0,
        }
    }
}

/// A room's one authoritative show state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ShowState {
    #[ts(type = "number")]
    pub version: u64,
    /// Server time (ms) of the last accepted change.
    #[ts(type = "number")]
    pub timestamp: i64,
    pub parameters: Params,
    /// Sorted by `order`, then id.
    pub layers: Vec<Layer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub active_preset_id: Option<String>,
    #[serde(default)]
    pub tempo: Tempo,
}

/// A layer as a client describes it (missing fields take their defaults).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LayerInput {
    #[serde(default)]
    #[ts(optional)]
    pub id: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub name: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub effect_type: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub opacity: Option<f64>,
    #[serde(default)]
    #[ts(optional)]
    pub visible: Option<bool>,
    #[serde(default)]
    #[ts(optional)]
    pub blend_mode: Option<BlendMode>,
    #[serde(default)]
    #[ts(optional)]
    pub order: Option<i32>,
    #[serde(default)]
    #[ts(optional)]
    pub parameters: Option<Params>,
}

/// A whole state as a client or a preset gives it (`load_preset`, `sync_state`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StateInput {
    #[serde(default)]
    #[ts(optional)]
    pub parameters: Option<Params>,
    #[serde(default)]
    #[ts(optional)]
    pub layers: Option<Vec<LayerInput>>,
    #[serde(default)]
    #[ts(optional)]
    pub active_preset_id: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub tempo: Option<TempoInput>,
}

/// A tempo change (`beat_origin` defaults to now).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct TempoInput {
    pub bpm: f64,
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub beat_origin: Option<i64>,
}

/// An operation on a room's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Sets (adds or changes) parameters of the show, or of one layer when `layer` names it.
    SetParameters {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        layer: Option<String>,
        parameters: Params,
    },
    /// Removes parameters by name.
    RemoveParameters {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        layer: Option<String>,
        names: Vec<String>,
    },
    AddLayer {
        layer: LayerInput,
    },
    /// Changes the fields `changes` gives (its parameters are merged into the layer's).
    UpdateLayer {
        id: String,
        changes: LayerInput,
    },
    RemoveLayer {
        id: String,
    },
    /// The layers' new order, bottom first (every layer id once).
    ReorderLayers {
        order: Vec<String>,
    },
    SetTempo {
        tempo: TempoInput,
    },
    /// A tap of the tap-tempo button (the server times it).
    Tap,
    /// Replaces the parts of the state it gives at once (a preset, a client's state); the parts it leaves
    /// out stay.
    ReplaceState {
        state: StateInput,
    },
}

impl Op {
    /// The label of `cosmic_live_messages_total` and of logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SetParameters { .. } => "set_parameters",
            Self::RemoveParameters { .. } => "remove_parameters",
            Self::AddLayer { .. } => "add_layer",
            Self::UpdateLayer { .. } => "update_layer",
            Self::RemoveLayer { .. } => "remove_layer",
            Self::ReorderLayers { .. } => "reorder_layers",
            Self::SetTempo { .. } => "set_tempo",
            Self::Tap => "tap",
            Self::ReplaceState { .. } => "replace_state",
        }
    }

    /// Whether the operation changes layers (needs `canManageLayers`) rather than parameters
    /// (`canControlVisuals`).
    pub fn manages_layers(&self) -> bool {
        matches!(
            self,
            Self::AddLayer { .. }
                | Self::RemoveLayer { .. }
                | Self::ReorderLayers { .. }
                | Self::ReplaceState { .. }
        )
    }

    /// The state paths the operation writes (for `host_wins` conflict checks): `parameters.<name>`,
    /// `layers.<id>.…`, `layers` (the stack itself), `tempo`, or `*` (everything).
    pub fn paths(&self) -> Vec<String> {
        let scope = |layer: &Option<String>| match layer {
            Some(id) => format!("layers.{id}.parameters."),
            None => "parameters.".to_owned(),
        };
        match self {
            Self::SetParameters { layer, parameters } => {
                let s = scope(layer);
                parameters.keys().map(|k| format!("{s}{k}")).collect()
            }
            Self::RemoveParameters { layer, names } => {
                let s = scope(layer);
                names.iter().map(|k| format!("{s}{k}")).collect()
            }
            Self::UpdateLayer { id, .. } => vec![format!("layers.{id}.")],
            Self::AddLayer { .. } | Self::RemoveLayer { .. } | Self::ReorderLayers { .. } => {
                vec!["layers".to_owned()]
            }
            Self::SetTempo { .. } | Self::Tap => vec!["tempo".to_owned()],
            Self::ReplaceState { .. } => vec!["*".to_owned()],
        }
    }
}

/// The limits a state and its operations stay within.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// The state's size as JSON, in bytes.
    pub state_bytes: usize,
    pub layers: usize,
    /// Parameters in one map (the show's, or one layer's).
    pub parameters: usize,
    /// Characters of a parameter name, a layer id or an effect type.
    pub name_chars: usize,
    /// Characters of a text value or a layer name.
    pub text_chars: usize,
    /// Numbers in a list value.
    pub list_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            state_bytes: 64 * 1024,
            layers: 32,
            parameters: 256,
            name_chars: 64,
            text_chars: 256,
            list_len: 64,
        }
    }
}

fn invalid(message: String) -> LiveError {
    LiveError::new(ErrorCode::InvalidOperation, message)
}

fn over(message: String) -> LiveError {
    LiveError::new(ErrorCode::LimitExceeded, message)
}

impl Limits {
    fn name(&self, what: &str, name: &str) -> Result<(), LiveError> {
        let ok = |c: char| c.is_ascii_alphanumeric() || "_-.:/".contains(c);
        if name.is_empty() || !name.chars().all(ok) {
            return Err(invalid(format!(
                "{what} {name:?} must be 1 or more of the letters, digits and _-.:/"
            )));
        }
        if name.chars().count() > self.name_chars {
            return Err(over(format!(
                "{what} {name:?} is longer than {} characters",
                self.name_chars
            )));
        }
        Ok(())
    }

    fn value(&self, name: &str, value: &Value) -> Result<(), LiveError> {
        match value {
            Value::Number(n) if !n.is_finite() => Err(invalid(format!(
                "parameter {name:?} is not a finite number"
            ))),
            Value::Text(t) if t.chars().count() > self.text_chars => Err(over(format!(
                "parameter {name:?} is longer than {} characters",
                self.text_chars
            ))),
            Value::Numbers(list) if list.len() > self.list_len => Err(over(format!(
                "parameter {name:?} has more than {} numbers",
                self.list_len
            ))),
            Value::Numbers(list) if list.iter().any(|n| !n.is_finite()) => Err(invalid(format!(
                "parameter {name:?} holds a number that is not finite"
            ))),
            _ => Ok(()),
        }
    }

    fn params(&self, params: &Params) -> Result<(), LiveError> {
        for (name, value) in params {
            self.name("parameter", name)?;
            self.value(name, value)?;
        }
        Ok(())
    }

    fn text(&self, what: &str, text: &str) -> Result<(), LiveError> {
        if text.chars().count() > self.text_chars {
            return Err(over(format!(
                "{what} is longer than {} characters",
                self.text_chars
            )));
        }
        Ok(())
    }
}

fn unit(what: &str, x: f64) -> Result<f64, LiveError> {
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(invalid(format!("{what} must be between 0 and 1")))
    }
}

fn tempo(input: TempoInput, now: i64) -> Result<Tempo, LiveError> {
    if !(20.0..=300.0).contains(&input.bpm) {
        return Err(invalid("bpm must be between 20 and 300".into()));
    }
    Ok(Tempo {
        bpm: input.bpm,
        beat_origin: input.beat_origin.unwrap_or(now),
    })
}

impl Layer {
    fn from_input(
        input: LayerInput,
        order: i32,
        now: i64,
        limits: &Limits,
    ) -> Result<Self, LiveError> {
        let mut layer = Layer {
            id: input
                .id
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()),
            name: String::new(),
            effect_type: "particles".into(),
            opacity: 1.0,
            visible: true,
            blend_mode: BlendMode::Normal,
            order,
            parameters: Params::new(),
            last_modified: now,
        };
        limits.name("layer id", &layer.id)?;
        layer.change(input, now, limits)?;
        if layer.name.is_empty() {
            layer.name = layer.effect_type.clone();
        }
        Ok(layer)
    }

    /// Applies the fields `input` gives (parameters merged).
    fn change(&mut self, input: LayerInput, now: i64, limits: &Limits) -> Result<(), LiveError> {
        if let Some(name) = input.name {
            limits.text("layer name", &name)?;
            self.name = name;
        }
        if let Some(effect) = input.effect_type {
            limits.name("effect type", &effect)?;
            self.effect_type = effect;
        }
        if let Some(opacity) = input.opacity {
            self.opacity = unit("opacity", opacity)?;
        }
        if let Some(visible) = input.visible {
            self.visible = visible;
        }
        if let Some(blend) = input.blend_mode {
            self.blend_mode = blend;
        }
        if let Some(order) = input.order {
            if !(0..=10_000).contains(&order) {
                return Err(invalid("order must be between 0 and 10000".into()));
            }
            self.order = order;
        }
        if let Some(params) = input.parameters {
            limits.params(&params)?;
            self.parameters.extend(params);
            if self.parameters.len() > limits.parameters {
                return Err(over(format!(
                    "layer {:?} would have more than {} parameters",
                    self.id, limits.parameters
                )));
            }
        }
        self.last_modified = now;
        Ok(())
    }
}

impl ShowState {
    /// Applies `op` at server time `now` (ms): on success the state changed and `version` went up by
    /// one; on an error nothing changed.
    pub fn apply(&mut self, op: Op, now: i64, limits: &Limits) -> Result<(), LiveError> {
        let mut next = self.clone();
        next.apply_in_place(op, now, limits)?;
        if next.layers.len() > limits.layers {
            return Err(over(format!(
                "a room holds {} layers at most",
                limits.layers
            )));
        }
        if next.parameters.len() > limits.parameters {
            return Err(over(format!(
                "a room holds {} parameters at most",
                limits.parameters
            )));
        }
        next.layers
            .sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.id.cmp(&b.id)));
        next.version = self.version + 1;
        next.timestamp = now;
        let size = serde_json::to_vec(&next).map_or(usize::MAX, |v| v.len());
        if size > limits.state_bytes {
            return Err(over(format!(
                "the state would be {size} bytes, over the limit of {}",
                limits.state_bytes
            )));
        }
        *self = next;
        Ok(())
    }

    fn layer_mut(&mut self, id: &str) -> Result<&mut Layer, LiveError> {
        self.layers
            .iter_mut()
            .find(|l| l.id == id)
            .ok_or_else(|| LiveError::new(ErrorCode::NotFound, format!("no layer {id:?}")))
    }

    fn apply_in_place(&mut self, op: Op, now: i64, limits: &Limits) -> Result<(), LiveError> {
        match op {
            Op::SetParameters { layer, parameters } => {
                limits.params(&parameters)?;
                match layer {
                    None => self.parameters.extend(parameters),
                    Some(id) => {
                        let layer = self.layer_mut(&id)?;
                        layer.parameters.extend(parameters);
                        layer.last_modified = now;
                        if layer.parameters.len() > limits.parameters {
                            return Err(over(format!(
                                "layer {id:?} would have more than {} parameters",
                                limits.parameters
                            )));
                        }
                    }
                }
            }
            Op::RemoveParameters { layer, names } => {
                let params = match layer {
                    None => &mut self.parameters,
                    Some(id) => {
                        let layer = self.layer_mut(&id)?;
                        layer.last_modified = now;
                        &mut layer.parameters
                    }
                };
                for name in names {
                    params.remove(&name);
                }
            }
            Op::AddLayer { layer } => {
                if let Some(id) = &layer.id
                    && self.layers.iter().any(|l| &l.id == id)
                {
                    return Err(invalid(format!("layer {id:?} exists already")));
                }
                let top = self.layers.iter().map(|l| l.order + 1).max().unwrap_or(0);
                self.layers
                    .push(Layer::from_input(layer, top, now, limits)?);
            }
            Op::UpdateLayer { id, changes } => {
                if changes.id.as_ref().is_some_and(|new| new != &id) {
                    return Err(invalid("a layer's id cannot change".into()));
                }
                self.layer_mut(&id)?.change(changes, now, limits)?;
            }
            Op::RemoveLayer { id } => {
                self.layer_mut(&id)?;
                self.layers.retain(|l| l.id != id);
            }
            Op::ReorderLayers { order } => {
                let mut given = order.clone();
                given.sort();
                given.dedup();
                let mut have: Vec<_> = self.layers.iter().map(|l| l.id.clone()).collect();
                have.sort();
                if given.len() != order.len() || given != have {
                    return Err(invalid("order must name every layer exactly once".into()));
                }
                for layer in &mut self.layers {
                    let place = order.iter().position(|id| id == &layer.id).unwrap_or(0);
                    if layer.order != place as i32 {
                        layer.order = place as i32;
                        layer.last_modified = now;
                    }
                }
            }
            Op::SetTempo { tempo: t } => self.tempo = tempo(t, now)?,
            // Timed by the room (see `Taps`); reaching here it has become a `SetTempo`.
            Op::Tap => return Err(invalid("tap needs the room's clock".into())),
            Op::ReplaceState { state } => {
                // The parts given replace the current ones; the parts left out stay.
                let mut next = self.clone();
                if let Some(params) = state.parameters {
                    limits.params(&params)?;
                    next.parameters = params;
                }
                if let Some(layers) = state.layers {
                    next.layers.clear();
                    for (i, layer) in layers.into_iter().enumerate() {
                        if next.layers.len() >= limits.layers {
                            return Err(over(format!(
                                "a room holds {} layers at most",
                                limits.layers
                            )));
                        }
                        let order = layer.order.unwrap_or(i as i32);
                        let layer = Layer::from_input(layer, order, now, limits)?;
                        if next.layers.iter().any(|l| l.id == layer.id) {
                            return Err(invalid(format!("layer {:?} is given twice", layer.id)));
                        }
                        next.layers.push(layer);
                    }
                }
                if let Some(id) = state.active_preset_id {
                    limits.name("preset id", &id)?;
                    next.active_preset_id = Some(id);
                }
                if let Some(t) = state.tempo {
                    next.tempo = tempo(t, now)?;
                }
                *self = next;
            }
        }
        Ok(())
    }
}

/// Tap tempo: the taps of the last few beats; two or more within 2 s of each other give a tempo.
#[derive(Clone, Debug, Default)]
pub struct Taps {
    times: Vec<i64>,
}

impl Taps {
    /// Records a tap at `now`; returns the tempo it implies once there are two taps close enough.
    pub fn tap(&mut self, now: i64) -> Option<TempoInput> {
        if self
            .times
            .last()
            .is_some_and(|&last| now - last > 2_000 || now < last)
        {
            self.times.clear();
        }
        self.times.push(now);
        if self.times.len() > 5 {
            self.times.remove(0);
        }
        let (first, last) = (*self.times.first()?, *self.times.last()?);
        let intervals = self.times.len() as i64 - 1;
        if intervals == 0 || last == first {
            return None;
        }
        let bpm = 60_000.0 * intervals as f64 / (last - first) as f64;
        Some(TempoInput {
            bpm: bpm.clamp(20.0, 300.0),
            beat_origin: Some(last),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, Value)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn an_accepted_operation_bumps_the_version() {
        let mut s = ShowState::default();
        let limits = Limits::default();
        let op = Op::SetParameters {
            layer: None,
            parameters: params(&[("hue", Value::Number(0.5))]),
        };
        s.apply(op, 10, &limits).unwrap();
        assert_eq!(s.version, 1);
        assert_eq!(s.timestamp, 10);
        assert_eq!(s.parameters["hue"], Value::Number(0.5));
    }

    #[test]
    fn a_refused_operation_changes_nothing() {
        let limits = Limits::default();
        let mut s = ShowState::default();
        let add = Op::AddLayer {
            layer: LayerInput {
                id: Some("a".into()),
                ..LayerInput::default()
            },
        };
        s.apply(add, 1, &limits).unwrap();
        let before = s.clone();
        let bad = [
            Op::UpdateLayer {
                id: "a".into(),
                changes: LayerInput {
                    opacity: Some(2.0),
                    ..LayerInput::default()
                },
            },
            Op::RemoveLayer { id: "nope".into() },
            Op::ReorderLayers {
                order: vec!["a".into(), "a".into()],
            },
            Op::SetParameters {
                layer: None,
                parameters: params(&[("bad name!", Value::Bool(true))]),
            },
            Op::SetParameters {
                layer: None,
                parameters: params(&[("long", Value::Text("x".repeat(300)))]),
            },
            Op::SetTempo {
                tempo: TempoInput {
                    bpm: 1000.0,
                    beat_origin: None,
                },
            },
        ];
        for op in bad {
            assert!(s.apply(op.clone(), 2, &limits).is_err(), "{op:?}");
            assert_eq!(s, before, "{op:?}");
        }
    }

    #[test]
    fn layers_stay_within_the_limit_and_sorted() {
        let limits = Limits {
            layers: 3,
            ..Limits::default()
        };
        let mut s = ShowState::default();
        for i in 0..3 {
            let layer = LayerInput {
                id: Some(format!("l{i}")),
                ..LayerInput::default()
            };
            s.apply(Op::AddLayer { layer }, i, &limits).unwrap();
        }
        let fourth = Op::AddLayer {
            layer: LayerInput::default(),
        };
        let err = s.apply(fourth, 9, &limits).unwrap_err();
        assert_eq!(err.code, ErrorCode::LimitExceeded);
        let order = vec!["l2".into(), "l0".into(), "l1".into()];
        s.apply(Op::ReorderLayers { order }, 10, &limits).unwrap();
        let ids: Vec<_> = s.layers.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["l2", "l0", "l1"]);
    }

    #[test]
    fn the_state_size_is_capped() {
        let limits = Limits {
            state_bytes: 2_000,
            ..Limits::default()
        };
        let mut s = ShowState::default();
        let mut refused = false;
        for i in 0..100 {
            let op = Op::SetParameters {
                layer: None,
                parameters: params(&[(&format!("p{i}"), Value::Text("y".repeat(100)))]),
            };
            if let Err(e) = s.apply(op, i, &limits) {
                assert_eq!(e.code, ErrorCode::LimitExceeded);
                refused = true;
                break;
            }
        }
        assert!(refused);
        assert!(serde_json::to_vec(&s).unwrap().len() <= 2_000);
    }

    #[test]
    fn replace_state_is_all_or_nothing() {
        let limits = Limits::default();
        let mut s = ShowState::default();
        s.apply(
            Op::SetParameters {
                layer: None,
                parameters: params(&[("old", Value::Number(1.0))]),
            },
            1,
            &limits,
        )
        .unwrap();
        let before = s.clone();
        let twice = StateInput {
            layers: Some(vec![
                LayerInput {
                    id: Some("x".into()),
                    ..LayerInput::default()
                },
                LayerInput {
                    id: Some("x".into()),
                    ..LayerInput::default()
                },
            ]),
            ..StateInput::default()
        };
        assert!(
            s.apply(Op::ReplaceState { state: twice }, 2, &limits)
                .is_err()
        );
        assert_eq!(s, before);
        let good = StateInput {
            parameters: Some(params(&[("new", Value::Bool(true))])),
            active_preset_id: Some("42".into()),
            ..StateInput::default()
        };
        s.apply(Op::ReplaceState { state: good }, 3, &limits)
            .unwrap();
        assert!(!s.parameters.contains_key("old"));
        assert_eq!(s.active_preset_id.as_deref(), Some("42"));
        assert_eq!(s.version, 2);
    }

    #[test]
    fn taps_give_a_tempo() {
        let mut taps = Taps::default();
        assert_eq!(taps.tap(1_000), None);
        let t = taps.tap(1_500).unwrap();
        assert_eq!(t.bpm, 120.0);
        let t = taps.tap(2_000).unwrap();
        assert_eq!((t.bpm, t.beat_origin), (120.0, Some(2_000)));
        // A long pause starts over.
        assert_eq!(taps.tap(9_000), None);
    }

    #[test]
    fn values_read_as_json_numbers_bools_texts_and_lists() {
        let p: Params = serde_json::from_str(r#"{"a":1.5,"b":true,"c":"x","d":[1,2]}"#).unwrap();
        assert_eq!(p["a"], Value::Number(1.5));
        assert_eq!(p["b"], Value::Bool(true));
        assert_eq!(p["c"], Value::Text("x".into()));
        assert_eq!(p["d"], Value::Numbers(vec![1.0, 2.0]));
        assert!(serde_json::from_str::<Params>(r#"{"a":null}"#).is_err());
        assert!(serde_json::from_str::<Params>(r#"{"a":{"b":1}}"#).is_err());
    }
}
