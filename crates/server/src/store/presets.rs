//! Presets (saved VJ show setups) and their versions. A preset's `content` is opaque JSON text here: the
//! API validates it, the live rooms read it; this module only stores it. Every write stores a whole
//! version: creating one stores version 1, replacing one stores the next, and nothing is ever changed in
//! place except the `presets` row, which mirrors the newest version.
//!
//! Tags are kept twice on purpose: as a JSON array with the preset (so a page of summaries is one query)
//! and one row each in `preset_tags` (so the same SQL filters by tag on SQLite and PostgreSQL).

use super::{Result, Store, StoreError, now_ms, on_pool};

/// A preset as listed: everything but its content.
#[derive(Clone, Debug, PartialEq)]
pub struct PresetRow {
    pub id: i64,
    /// `None`: nobody owns it (not made through the API); nobody may change it.
    pub owner_id: Option<i64>,
    pub name: String,
    pub description: Option<String>,
    pub is_public: bool,
    pub tags: Vec<String>,
    /// The newest version (1 after creation).
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A preset's fields as the API validated them, to create or to replace one with.
#[derive(Clone, Debug, Default)]
pub struct NewPreset {
    pub name: String,
    pub description: Option<String>,
    pub is_public: bool,
    /// Distinct tags.
    pub tags: Vec<String>,
    /// The JSON text `{"layers":[…],"parameters":{…},"globalSettings":{…}}`.
    pub content: String,
}

/// Which presets a list shows, newest updated first.
#[derive(Clone, Debug, Default)]
pub struct PresetFilter {
    /// Who asks: they see public presets and their own.
    pub viewer: Option<i64>,
    /// Only this owner's presets.
    pub owner: Option<i64>,
    /// Only public presets.
    pub public_only: bool,
    pub tag: Option<String>,
    /// A substring of the name or the description, any case; taken literally (`%` and `_` too).
    pub text: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// One stored version, whole.
#[derive(Clone, Debug, PartialEq)]
pub struct PresetVersionRow {
    pub version: i64,
    pub name: String,
    pub description: Option<String>,
    pub is_public: bool,
    pub tags: Vec<String>,
    pub content: String,
    pub created_at: i64,
}

/// One line of a preset's history.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct PresetVersionSummary {
    pub version: i64,
    pub name: String,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct RawPreset {
    id: i64,
    owner_id: Option<i64>,
    name: String,
    description: Option<String>,
    is_public: bool,
    tags: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct WithContent {
    #[sqlx(flatten)]
    preset: RawPreset,
    content: String,
}

#[derive(sqlx::FromRow)]
struct RawVersion {
    version: i64,
    name: String,
    description: Option<String>,
    is_public: bool,
    tags: String,
    content: String,
    created_at: i64,
}

fn tags_from(json: &str) -> Result<Vec<String>> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("preset tags: {e}")))
}

fn tags_json(tags: &[String]) -> String {
    serde_json::Value::from(tags).to_string()
}

impl TryFrom<RawPreset> for PresetRow {
    type Error = StoreError;
    fn try_from(r: RawPreset) -> Result<Self> {
        Ok(Self {
            tags: tags_from(&r.tags)?,
            id: r.id,
            owner_id: r.owner_id,
            name: r.name,
            description: r.description,
            is_public: r.is_public,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// What the `q` filter matches: the name and the description, lower-cased (Unicode, in Rust, so both
/// backends fold alike), on two lines so a search never matches across them.
fn search_text(name: &str, description: Option<&str>) -> String {
    format!(
        "{}\n{}",
        name.to_lowercase(),
        description.unwrap_or("").to_lowercase()
    )
}

/// A `LIKE … ESCAPE '\'` pattern matching `text` anywhere, literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The columns of a [`RawPreset`].
macro_rules! columns {
    () => {
        "id, owner_id, name, description, is_public, tags, version, created_at, updated_at"
    };
}

// Statements run inside either backend's transaction: macros, because the two transaction types have
// no common trait a plain function could take without a wall of `sqlx::Executor` bounds.

/// Stores `new` as version `version` of preset `id` inside transaction `tx` (either backend's).
macro_rules! insert_version {
    ($tx:ident, $id:expr, $version:expr, $new:expr, $tags:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO preset_versions (preset_id, version, name, description, is_public, tags, \
             content, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($id)
        .bind($version)
        .bind(&$new.name)
        .bind(&$new.description)
        .bind($new.is_public)
        .bind(&$tags)
        .bind(&$new.content)
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}

/// Indexes preset `id`'s tags inside transaction `tx`.
macro_rules! insert_tags {
    ($tx:ident, $id:expr, $tags:expr) => {
        for tag in &$tags {
            sqlx::query("INSERT INTO preset_tags (preset_id, tag) VALUES ($1, $2)")
                .bind($id)
                .bind(tag)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// The `WHERE` of a list and of its count; `$1` viewer, `$2` owner, `$3` public only, `$4` tag,
/// `$5` `LIKE` pattern. A NULL viewer matches no owner, so anonymous callers see public presets only.
macro_rules! list_where {
    () => {
        "WHERE (p.is_public OR p.owner_id = $1) AND ($2 IS NULL OR p.owner_id = $2) \
         AND (NOT $3 OR p.is_public) \
         AND ($4 IS NULL OR EXISTS (SELECT 1 FROM preset_tags t WHERE t.preset_id = p.id AND t.tag = $4)) \
         AND ($5 IS NULL OR p.search_text LIKE $5 ESCAPE '\\')"
    };
}

impl Store {
    /// Stores a new preset as version 1.
    pub async fn create_preset(&self, owner_id: i64, new: &NewPreset) -> Result<PresetRow> {
        let now = now_ms();
        let tags = tags_json(&new.tags);
        let search = search_text(&new.name, new.description.as_deref());
        let raw = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let raw = sqlx::query_as::<_, RawPreset>(concat!(
                "INSERT INTO presets (owner_id, name, description, is_public, tags, version, content, \
                 search_text, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $8) \
                 RETURNING ", columns!()))
                .bind(owner_id)
                .bind(&new.name)
                .bind(&new.description)
                .bind(new.is_public)
                .bind(&tags)
                .bind(&new.content)
                .bind(&search)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            insert_version!(tx, raw.id, 1_i64, new, tags, now);
            insert_tags!(tx, raw.id, new.tags);
            tx.commit().await.map(|()| raw)
        })?;
        raw.try_into()
    }

    /// How many presets `owner_id` owns.
    pub async fn preset_count(&self, owner_id: i64) -> Result<i64> {
        Ok(
            on_pool!(self, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM presets WHERE owner_id = $1")
            .bind(owner_id)
            .fetch_one(p)
            .await)?,
        )
    }

    /// Replaces `owner_id`'s preset `id` with `new` as its next version. `NotFound` when there is no such
    /// preset of that owner (another owner's is not touched).
    pub async fn replace_preset(
        &self,
        id: i64,
        owner_id: i64,
        new: &NewPreset,
    ) -> Result<PresetRow> {
        let now = now_ms();
        let tags = tags_json(&new.tags);
        let search = search_text(&new.name, new.description.as_deref());
        let raw = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            // The row lock (PostgreSQL) or the write lock (SQLite) taken here orders concurrent
            // replacements, so each stores a version of its own.
            let raw = sqlx::query_as::<_, RawPreset>(concat!(
                "UPDATE presets SET name = $1, description = $2, is_public = $3, tags = $4, content = $5, \
                 search_text = $6, version = version + 1, updated_at = $7 WHERE id = $8 AND owner_id = $9 \
                 RETURNING ", columns!()))
                .bind(&new.name)
                .bind(&new.description)
                .bind(new.is_public)
                .bind(&tags)
                .bind(&new.content)
                .bind(&search)
                .bind(now)
                .bind(id)
                .bind(owner_id)
                .fetch_one(&mut *tx)
                .await?;
            insert_version!(tx, raw.id, raw.version, new, tags, now);
            sqlx::query("DELETE FROM preset_tags WHERE preset_id = $1")
                .bind(raw.id)
                .execute(&mut *tx)
                .await?;
            insert_tags!(tx, raw.id, new.tags);
            tx.commit().await.map(|()| raw)
        })?;
        raw.try_into()
    }

    /// The preset, without its content.
    pub async fn preset(&self, id: i64) -> Result<PresetRow> {
        let raw = on_pool!(self, p => sqlx::query_as::<_, RawPreset>(concat!(
            "SELECT ", columns!(), " FROM presets WHERE id = $1"))
            .bind(id)
            .fetch_one(p)
            .await)?;
        raw.try_into()
    }

    /// The preset and its content (the current version's).
    pub async fn preset_with_content(&self, id: i64) -> Result<(PresetRow, String)> {
        let raw = on_pool!(self, p => sqlx::query_as::<_, WithContent>(concat!(
            "SELECT ", columns!(), ", content FROM presets WHERE id = $1"))
            .bind(id)
            .fetch_one(p)
            .await)?;
        Ok((raw.preset.try_into()?, raw.content))
    }

    /// What a live room needs to load preset `id`: its owner, whether it is public, and its content
    /// (`{"layers":[…],"parameters":{…},"globalSettings":{…}}`, camelCase JSON). `None`: no such preset.
    pub async fn preset_content(&self, id: i64) -> Result<Option<(Option<i64>, bool, String)>> {
        Ok(
            on_pool!(self, p => sqlx::query_as::<_, (Option<i64>, bool, String)>(
            "SELECT owner_id, is_public, content FROM presets WHERE id = $1")
            .bind(id)
            .fetch_optional(p)
            .await)?,
        )
    }

    /// A page of the presets `filter` selects, newest updated first (ties: newest id first), and how
    /// many it selects in all.
    pub async fn presets(&self, filter: &PresetFilter) -> Result<(Vec<PresetRow>, i64)> {
        let pattern = filter.text.as_deref().map(contains_pattern);
        let rows = on_pool!(self, p => sqlx::query_as::<_, RawPreset>(concat!(
            "SELECT p.id, p.owner_id, p.name, p.description, p.is_public, p.tags, p.version, \
             p.created_at, p.updated_at FROM presets p ",
            list_where!(),
            " ORDER BY p.updated_at DESC, p.id DESC LIMIT $6 OFFSET $7"))
            .bind(filter.viewer)
            .bind(filter.owner)
            .bind(filter.public_only)
            .bind(&filter.tag)
            .bind(&pattern)
            .bind(filter.limit)
            .bind(filter.offset)
            .fetch_all(p)
            .await)?;
        let total = on_pool!(self, p => sqlx::query_scalar::<_, i64>(concat!(
            "SELECT COUNT(*) FROM presets p ", list_where!()))
            .bind(filter.viewer)
            .bind(filter.owner)
            .bind(filter.public_only)
            .bind(&filter.tag)
            .bind(&pattern)
            .fetch_one(p)
            .await)?;
        let rows = rows
            .into_iter()
            .map(PresetRow::try_from)
            .collect::<Result<_>>()?;
        Ok((rows, total))
    }

    /// Deletes `owner_id`'s preset `id` with its versions and tags. `NotFound` when there is no such
    /// preset of that owner.
    pub async fn delete_preset(&self, id: i64, owner_id: i64) -> Result<()> {
        let done = on_pool!(self, p => sqlx::query("DELETE FROM presets WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// A page of preset `id`'s versions, newest first, and how many there are.
    pub async fn preset_versions(
        &self,
        id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<PresetVersionSummary>, i64)> {
        let rows = on_pool!(self, p => sqlx::query_as::<_, PresetVersionSummary>(
            "SELECT version, name, created_at FROM preset_versions WHERE preset_id = $1 \
             ORDER BY version DESC LIMIT $2 OFFSET $3")
            .bind(id)
            .bind(limit)
            .bind(offset)
            .fetch_all(p)
            .await)?;
        let total = on_pool!(self, p => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM preset_versions WHERE preset_id = $1")
            .bind(id)
            .fetch_one(p)
            .await)?;
        Ok((rows, total))
    }

    /// Version `version` of preset `id`, whole.
    pub async fn preset_version(&self, id: i64, version: i64) -> Result<PresetVersionRow> {
        let r = on_pool!(self, p => sqlx::query_as::<_, RawVersion>(
            "SELECT version, name, description, is_public, tags, content, created_at FROM preset_versions \
             WHERE preset_id = $1 AND version = $2")
            .bind(id)
            .bind(version)
            .fetch_one(p)
            .await)?;
        Ok(PresetVersionRow {
            tags: tags_from(&r.tags)?,
            version: r.version,
            name: r.name,
            description: r.description,
            is_public: r.is_public,
            content: r.content,
            created_at: r.created_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{contains_pattern, search_text};

    #[test]
    fn search_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("50%_A\\b"), "%50\\%\\_a\\\\b%");
        assert_eq!(search_text("Neon ÉCLAIR", None), "neon éclair\n");
    }
}
