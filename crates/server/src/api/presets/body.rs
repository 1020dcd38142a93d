//! A preset's write body as received ([`PresetRequest`]), parsed once into what is stored: a
//! [`NewPreset`] whose content is the JSON of a [`PresetContent`]. Every rule a
//! body breaks is a 422 naming the field by its path (`layers[2].opacity`); a value of the wrong JSON
//! type is the extractor's 400. Unknown fields are ignored, as everywhere in the API.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::content::{
    BlendMode, GlobalSettings, Layer, MAX_PARAMETERS, ParamValue, PresetContent, parameters_schema,
};
use crate::api::error::ApiError;
use crate::store::NewPreset;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_TAGS: usize = 10;
pub const MAX_TAG_CHARS: usize = 32;
pub const MAX_LAYERS: usize = 32;
pub const MAX_LAYER_ID_CHARS: usize = 64;
pub const MAX_EFFECT_TYPE_CHARS: usize = 32;
pub const MAX_ORDER: i64 = 1000;
pub const MAX_PARAMETER_NAME_CHARS: usize = 64;
pub const DEFAULT_BPM: f64 = 120.0;
pub const DEFAULT_MASTER_OPACITY: f64 = 1.0;
pub const DEFAULT_SPEED: f64 = 1.0;

/// `POST /api/presets` and `PUT /api/presets/{id}`: the whole preset (a PUT replaces every field and
/// stores a new version; a field left out takes its default).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresetRequest {
    /// 1–100 printable characters, not only spaces (trimmed).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// At most 500 characters; no control characters but tabs and line breaks.
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub description: Option<String>,
    /// Default false: only the owner sees it.
    pub is_public: Option<bool>,
    /// At most 10 distinct tags of 1–32 `a-z`, `0-9`, `-`.
    #[serde(default)]
    #[schema(schema_with = tags_schema)]
    pub tags: Vec<String>,
    /// At most 32 layers with distinct ids. Default none.
    #[serde(default)]
    #[schema(max_items = 32)]
    pub layers: Vec<LayerRequest>,
    /// The preset's parameters. Default none.
    #[serde(default)]
    #[schema(schema_with = parameters_schema)]
    pub parameters: Map<String, Value>,
    /// Default: every setting at its default.
    pub global_settings: Option<GlobalSettingsRequest>,
}

/// One layer of a write body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LayerRequest {
    /// 1–64 characters, distinct among the preset's layers.
    #[schema(min_length = 1, max_length = 64)]
    pub id: String,
    /// At most 100 characters, default empty.
    #[schema(max_length = 100)]
    pub name: Option<String>,
    #[schema(pattern = r"^[a-zA-Z0-9_-]{1,32}$")]
    pub effect_type: String,
    /// 0..=1, default 1.
    #[schema(minimum = 0, maximum = 1)]
    pub opacity: Option<f64>,
    /// Default true.
    pub visible: Option<bool>,
    /// Default `normal`.
    #[schema(value_type = Option<BlendMode>)]
    pub blend_mode: Option<String>,
    /// 0..=1000, default the layer's index in `layers`.
    #[schema(minimum = 0, maximum = 1000)]
    #[serde(default, deserialize_with = "crate::api::input::whole")]
    pub order: Option<i64>,
    /// The layer's parameters (the preset's rules). Default none.
    #[serde(default)]
    #[schema(schema_with = parameters_schema)]
    pub parameters: Map<String, Value>,
}

/// Settings of the whole show; each one left out takes its default.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GlobalSettingsRequest {
    /// Beats per minute, 20..=300, default 120.
    #[schema(minimum = 20, maximum = 300)]
    pub bpm: Option<f64>,
    /// 0..=1, default 1.
    #[schema(minimum = 0, maximum = 1)]
    pub master_opacity: Option<f64>,
    /// 0..=10, default 1.
    #[schema(minimum = 0, maximum = 10)]
    pub speed: Option<f64>,
}

/// `tags`: at most 10 distinct tags of 1–32 `a-z0-9-`.
fn tags_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^[a-z0-9-]{1,32}$")),
        )
        .max_items(Some(MAX_TAGS))
        .unique_items(true)
        .build()
}

/// Whether `tag` is 1–32 of `a-z`, `0-9`, `-` (the `tag` query parameter follows the same rule).
pub fn is_tag(tag: &str) -> bool {
    (1..=MAX_TAG_CHARS).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn between(field: &str, value: f64, low: f64, high: f64) -> Result<f64, ApiError> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::validation(
            field,
            format!("{field} must be between {low} and {high}"),
        ))
    }
}

fn at_most<T>(field: &str, items: &[T], max: usize, what: &str) -> Result<(), ApiError> {
    if items.len() <= max {
        Ok(())
    } else {
        Err(ApiError::validation(
            field,
            format!("{field} may have at most {max} {what}"),
        ))
    }
}

fn parse_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    let len = name.chars().count();
    if !(1..=MAX_NAME_CHARS).contains(&len) || name.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "name",
            format!("name must be 1 to {MAX_NAME_CHARS} printable characters"),
        ));
    }
    Ok(name.to_string())
}

fn parse_description(raw: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(text) = raw else { return Ok(None) };
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::validation(
            "description",
            format!("description must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(ApiError::validation(
            "description",
            "description may not have control characters but tabs and line breaks",
        ));
    }
    Ok(Some(text))
}

fn parse_tags(raw: Vec<String>) -> Result<Vec<String>, ApiError> {
    at_most("tags", &raw, MAX_TAGS, "entries")?;
    let mut seen = HashSet::new();
    for (i, tag) in raw.iter().enumerate() {
        let field = format!("tags[{i}]");
        if !is_tag(tag) {
            return Err(ApiError::validation(
                &field,
                format!("{field} must be 1 to {MAX_TAG_CHARS} of a-z, 0-9 and -"),
            ));
        }
        if !seen.insert(tag.as_str()) {
            return Err(ApiError::validation(&field, format!("{field} is repeated")));
        }
    }
    Ok(raw)
}

/// `field`'s map of parameters (the preset's, or a layer's).
fn parse_parameters(
    field: &str,
    raw: Map<String, Value>,
) -> Result<BTreeMap<String, ParamValue>, ApiError> {
    if raw.len() > MAX_PARAMETERS {
        return Err(ApiError::validation(
            field,
            format!("{field} may have at most {MAX_PARAMETERS} entries"),
        ));
    }
    let mut out = BTreeMap::new();
    for (name, value) in raw {
        let name_ok = (1..=MAX_PARAMETER_NAME_CHARS).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !name_ok {
            return Err(ApiError::validation(
                field,
                format!(
                    "{field} names must be 1 to {MAX_PARAMETER_NAME_CHARS} of A-Z, a-z, 0-9, _, . and -"
                ),
            ));
        }
        let value = ParamValue::parse(&format!("{field}.{name}"), value)?;
        out.insert(name, value);
    }
    Ok(out)
}

fn parse_layer(index: usize, raw: LayerRequest) -> Result<Layer, ApiError> {
    let at = |name: &str| format!("layers[{index}].{name}");
    let id_len = raw.id.chars().count();
    if !(1..=MAX_LAYER_ID_CHARS).contains(&id_len) {
        let field = at("id");
        let message = format!("{field} must be 1 to {MAX_LAYER_ID_CHARS} characters");
        return Err(ApiError::validation(&field, message));
    }
    let name = raw.name.unwrap_or_default();
    if name.chars().count() > MAX_NAME_CHARS {
        let field = at("name");
        let message = format!("{field} must be at most {MAX_NAME_CHARS} characters");
        return Err(ApiError::validation(&field, message));
    }
    let effect_ok = (1..=MAX_EFFECT_TYPE_CHARS).contains(&raw.effect_type.len())
        && raw
            .effect_type
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    if !effect_ok {
        let field = at("effectType");
        let message =
            format!("{field} must be 1 to {MAX_EFFECT_TYPE_CHARS} of A-Z, a-z, 0-9, _ and -");
        return Err(ApiError::validation(&field, message));
    }
    let order = raw.order.unwrap_or(index as i64);
    if !(0..=MAX_ORDER).contains(&order) {
        let field = at("order");
        let message = format!("{field} must be between 0 and {MAX_ORDER}");
        return Err(ApiError::validation(&field, message));
    }
    Ok(Layer {
        id: raw.id,
        name,
        effect_type: raw.effect_type,
        opacity: between(&at("opacity"), raw.opacity.unwrap_or(1.0), 0.0, 1.0)?,
        visible: raw.visible.unwrap_or(true),
        blend_mode: match raw.blend_mode.as_deref() {
            Some(mode) => BlendMode::parse(&at("blendMode"), mode)?,
            None => BlendMode::Normal,
        },
        order,
        parameters: parse_parameters(&at("parameters"), raw.parameters)?,
    })
}

fn parse_layers(raw: Vec<LayerRequest>) -> Result<Vec<Layer>, ApiError> {
    at_most("layers", &raw, MAX_LAYERS, "entries")?;
    let layers = raw
        .into_iter()
        .enumerate()
        .map(|(i, layer)| parse_layer(i, layer))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen = HashSet::new();
    for (i, layer) in layers.iter().enumerate() {
        if !seen.insert(layer.id.as_str()) {
            let field = format!("layers[{i}].id");
            let message = format!("{field} repeats the id of an earlier layer");
            return Err(ApiError::validation(&field, message));
        }
    }
    Ok(layers)
}

fn parse_global(raw: Option<GlobalSettingsRequest>) -> Result<GlobalSettings, ApiError> {
    let raw = raw.unwrap_or_default();
    Ok(GlobalSettings {
        bpm: between(
            "globalSettings.bpm",
            raw.bpm.unwrap_or(DEFAULT_BPM),
            20.0,
            300.0,
        )?,
        master_opacity: between(
            "globalSettings.masterOpacity",
            raw.master_opacity.unwrap_or(DEFAULT_MASTER_OPACITY),
            0.0,
            1.0,
        )?,
        speed: between(
            "globalSettings.speed",
            raw.speed.unwrap_or(DEFAULT_SPEED),
            0.0,
            10.0,
        )?,
    })
}

impl PresetRequest {
    /// What to store (its `content` the JSON of the returned [`PresetContent`]), or the first rule the
    /// body breaks, in the order the fields are listed.
    pub fn parse(self) -> Result<(NewPreset, PresetContent), ApiError> {
        let name = parse_name(&self.name)?;
        let description = parse_description(self.description)?;
        let tags = parse_tags(self.tags)?;
        let content = PresetContent {
            layers: parse_layers(self.layers)?,
            parameters: parse_parameters("parameters", self.parameters)?,
            global_settings: parse_global(self.global_settings)?,
        };
        let json = serde_json::to_string(&content).map_err(ApiError::internal)?;
        let new = NewPreset {
            name,
            description,
            is_public: self.is_public.unwrap_or(false),
            tags,
            content: json,
        };
        Ok((new, content))
    }
}
