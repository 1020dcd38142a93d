//! The answers of the preset routes, built from stored rows: a summary (lists), the whole preset (one
//! preset, or one of its versions), and the pages of lists. Times are Unix ms.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::content::PresetContent;
use crate::api::error::ApiError;
use crate::store::{PresetRow, PresetVersionRow, PresetVersionSummary};

/// A preset without its content, as lists show it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresetSummary {
    pub id: i64,
    /// `null`: nobody owns it (not made through the API); nobody may change it.
    pub owner_id: Option<i64>,
    pub name: String,
    pub description: Option<String>,
    pub is_public: bool,
    pub tags: Vec<String>,
    /// 1 after creation, one more after each replacement.
    pub version: i64,
    pub created_at: i64,
    /// When this version was stored.
    pub updated_at: i64,
}

/// A whole preset: its summary and what it shows.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Preset {
    #[serde(flatten)]
    pub summary: PresetSummary,
    #[serde(flatten)]
    pub content: PresetContent,
}

/// A page of presets.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PresetList {
    pub presets: Vec<PresetSummary>,
    /// How many presets the filters select in all.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// One line of a preset's history.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresetVersionView {
    pub version: i64,
    pub name: String,
    pub created_at: i64,
}

/// A page of a preset's versions, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PresetVersionList {
    pub versions: Vec<PresetVersionView>,
    /// How many versions the preset has.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

impl From<PresetRow> for PresetSummary {
    fn from(r: PresetRow) -> Self {
        Self {
            id: r.id,
            owner_id: r.owner_id,
            name: r.name,
            description: r.description,
            is_public: r.is_public,
            tags: r.tags,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl From<PresetVersionSummary> for PresetVersionView {
    fn from(v: PresetVersionSummary) -> Self {
        Self {
            version: v.version,
            name: v.name,
            created_at: v.created_at,
        }
    }
}

/// Stored content, which the API wrote: failing to read it back is a 500 (corrupt data), not the
/// client's fault.
fn content_of(json: &str) -> Result<PresetContent, ApiError> {
    serde_json::from_str(json)
        .map_err(|e| ApiError::internal(format!("stored preset content: {e}")))
}

impl Preset {
    /// The current version.
    pub fn current(row: PresetRow, content: &str) -> Result<Self, ApiError> {
        Ok(Self {
            content: content_of(content)?,
            summary: row.into(),
        })
    }

    /// The preset as it was at version `v` (its id, owner and creation time are the preset's).
    pub fn at_version(row: PresetRow, v: PresetVersionRow) -> Result<Self, ApiError> {
        Ok(Self {
            content: content_of(&v.content)?,
            summary: PresetSummary {
                name: v.name,
                description: v.description,
                is_public: v.is_public,
                tags: v.tags,
                version: v.version,
                updated_at: v.created_at,
                ..row.into()
            },
        })
    }
}
