//! What a preset shows, as stored and answered: [`PresetContent`] is the JSON `content` of a preset and
//! of each of its versions, exactly this camelCase shape with every default filled in. Live rooms read
//! the same JSON. Values here are valid by construction: [`super::body`] builds them from a write body.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::error::ApiError;

pub const MAX_PARAMETERS: usize = 64;
pub const MAX_TEXT_PARAMETER_CHARS: usize = 256;
pub const MAX_NUMBERS_PARAMETER_LEN: usize = 16;

/// How a layer is composited onto those below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BlendMode {
    Normal,
    Add,
    Multiply,
    Screen,
    Overlay,
    Difference,
    Lighten,
    Darken,
}

impl BlendMode {
    const ALL: [Self; 8] = [
        Self::Normal,
        Self::Add,
        Self::Multiply,
        Self::Screen,
        Self::Overlay,
        Self::Difference,
        Self::Lighten,
        Self::Darken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Add => "add",
            Self::Multiply => "multiply",
            Self::Screen => "screen",
            Self::Overlay => "overlay",
            Self::Difference => "difference",
            Self::Lighten => "lighten",
            Self::Darken => "darken",
        }
    }

    pub(super) fn parse(field: &str, raw: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == raw)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|m| m.as_str()).collect();
                ApiError::validation(
                    field,
                    format!("{field} must be one of {}", names.join(", ")),
                )
            })
    }
}

/// What a preset shows: the JSON `content` stored with the preset and with each version, exactly this
/// shape (`{"layers":[…],"parameters":{…},"globalSettings":{…}}`), every default filled in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresetContent {
    pub layers: Vec<Layer>,
    #[schema(schema_with = parameters_schema)]
    pub parameters: BTreeMap<String, ParamValue>,
    pub global_settings: GlobalSettings,
}

/// A stored layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Layer {
    pub id: String,
    pub name: String,
    pub effect_type: String,
    #[schema(minimum = 0, maximum = 1)]
    pub opacity: f64,
    pub visible: bool,
    pub blend_mode: BlendMode,
    #[schema(minimum = 0, maximum = 1000)]
    pub order: i64,
    #[schema(schema_with = parameters_schema)]
    pub parameters: BTreeMap<String, ParamValue>,
}

/// Stored global settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GlobalSettings {
    #[schema(minimum = 20, maximum = 300)]
    pub bpm: f64,
    #[schema(minimum = 0, maximum = 1)]
    pub master_opacity: f64,
    #[schema(minimum = 0, maximum = 10)]
    pub speed: f64,
}

/// A parameter's value: a finite number, a boolean, a string of at most 256 characters or an array of
/// at most 16 finite numbers. Kept as the JSON it arrived as, so `5` comes back `5`, not `5.0`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ParamValue(Value);

impl ParamValue {
    pub(super) fn parse(field: &str, value: Value) -> Result<Self, ApiError> {
        let finite = |v: &Value| v.as_f64().is_some_and(f64::is_finite);
        let ok = match &value {
            Value::Number(_) => finite(&value),
            Value::Bool(_) => true,
            Value::String(s) => s.chars().count() <= MAX_TEXT_PARAMETER_CHARS,
            Value::Array(items) => {
                items.len() <= MAX_NUMBERS_PARAMETER_LEN && items.iter().all(finite)
            }
            Value::Null | Value::Object(_) => false,
        };
        if ok {
            Ok(Self(value))
        } else {
            Err(ApiError::validation(
                field,
                format!(
                    "{field} must be a number, a boolean, a string of at most \
                     {MAX_TEXT_PARAMETER_CHARS} characters or an array of at most \
                     {MAX_NUMBERS_PARAMETER_LEN} numbers"
                ),
            ))
        }
    }

    pub fn as_json(&self) -> &Value {
        &self.0
    }
}

impl utoipa::PartialSchema for ParamValue {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .description(Some(
                "A number, a boolean, a string of at most 256 characters or an array of at most 16 numbers",
            ))
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(MAX_TEXT_PARAMETER_CHARS)),
            )
            .item(
                ArrayBuilder::new()
                    .items(ObjectBuilder::new().schema_type(Type::Number))
                    .max_items(Some(MAX_NUMBERS_PARAMETER_LEN)),
            )
            .into()
    }
}

impl ToSchema for ParamValue {}

/// `parameters`: at most 64 names of 1–64 `A-Za-z0-9_.-`, each to a [`ParamValue`].
pub(super) fn parameters_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::Ref;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .max_properties(Some(MAX_PARAMETERS))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^[a-zA-Z0-9_.-]{1,64}$")),
        ))
        .additional_properties(Some(Ref::from_schema_name("ParamValue")))
        .build()
}
