//! A room's description and its members: roles, capabilities, settings, join codes. What the compat
//! envelope calls a `room` and a `participant`, in its field names.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ErrorCode, LiveError};

/// A member's role. v1z3r's client knows `host`, `participant` and `viewer`; `participant` is read as
/// `controller` when the room allows guests control, else as `display`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Host,
    Controller,
    Display,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Host, Role::Controller, Role::Display, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Host => "host",
            Self::Controller => "controller",
            Self::Display => "display",
            Self::Viewer => "viewer",
        }
    }

    /// The role a joiner asked for by name (`participant`: v1z3r's word for a member who may control
    /// when the room allows it).
    pub fn requested(name: Option<&str>, allow_guest_control: bool) -> Role {
        match name {
            Some("controller") | Some("participant") if allow_guest_control => Role::Controller,
            Some("viewer") => Role::Viewer,
            _ => Role::Display,
        }
    }
}

/// What a member may do; defaulted by role, changed by the host's grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub can_control_visuals: bool,
    pub can_control_audio: bool,
    pub can_manage_layers: bool,
    pub can_share_presets: bool,
    pub can_invite_others: bool,
}

impl Capabilities {
    pub fn of(role: Role) -> Self {
        let control = matches!(role, Role::Host | Role::Controller);
        Self {
            can_control_visuals: control,
            can_control_audio: control,
            can_manage_layers: control,
            can_share_presets: control,
            can_invite_others: role == Role::Host,
        }
    }
}

/// A room member as the compat envelope shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// ISO 8601.
    pub joined_at: String,
    pub last_seen: String,
    pub capabilities: Capabilities,
    #[ts(type = "Record<string, unknown>")]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// How concurrent writes to one path are settled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConflictPolicy {
    /// The last write wins, path by path.
    #[default]
    LastWriteWins,
    /// A non-host write to a path the host wrote within the last second is refused.
    HostWins,
}

/// A room's settings (v1z3r's, plus the conflict policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct RoomSettings {
    pub allow_guest_control: bool,
    pub sync_parameters: bool,
    pub sync_layers: bool,
    pub sync_presets: bool,
    pub broadcast_voice_commands: bool,
    pub require_approval: bool,
    pub conflict_resolution: ConflictPolicy,
}

impl Default for RoomSettings {
    fn default() -> Self {
        Self {
            allow_guest_control: false,
            sync_parameters: true,
            sync_layers: true,
            sync_presets: true,
            broadcast_voice_commands: true,
            require_approval: false,
            conflict_resolution: ConflictPolicy::LastWriteWins,
        }
    }
}

/// What a creator gives for a new room (every field optional).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct NewRoom {
    #[ts(optional)]
    pub name: Option<String>,
    #[ts(optional)]
    pub description: Option<String>,
    #[ts(optional)]
    pub max_participants: Option<u32>,
    #[ts(optional)]
    pub is_private: Option<bool>,
    #[ts(optional)]
    pub settings: Option<RoomSettings>,
}

/// A room's stored description (everything but members and state).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomMeta {
    pub id: String,
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub max_participants: u32,
    pub is_private: bool,
    /// The creator's account.
    pub owner: u64,
    pub settings: RoomSettings,
    /// Unix ms.
    pub created_at: i64,
}

/// The compat envelope's `room`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RoomView {
    pub id: String,
    /// The short code displays join with.
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub description: Option<String>,
    pub max_participants: u32,
    pub participants: Vec<Participant>,
    /// ISO 8601.
    pub created_at: String,
    pub is_private: bool,
    pub owner_id: String,
    pub settings: RoomSettings,
}

/// Rooms hold this many members unless their creator says otherwise…
pub const DEFAULT_MAX_PARTICIPANTS: u32 = 100;
/// …and never more than this (one node's sockets).
pub const MAX_PARTICIPANTS: u32 = 10_000;

impl RoomMeta {
    /// A new room of `owner` from what the creator gave, checked.
    pub fn new(
        id: String,
        code: String,
        owner: u64,
        given: NewRoom,
        now: i64,
    ) -> Result<Self, LiveError> {
        let bad = |m: &str| LiveError::new(ErrorCode::InvalidOperation, m);
        let name = given.name.unwrap_or_else(|| "Live show".into());
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(bad("name must be 1 to 100 characters"));
        }
        if given
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 500)
        {
            return Err(bad("description must be at most 500 characters"));
        }
        let max = given.max_participants.unwrap_or(DEFAULT_MAX_PARTICIPANTS);
        if !(1..=MAX_PARTICIPANTS).contains(&max) {
            return Err(bad("maxParticipants must be between 1 and 10000"));
        }
        Ok(Self {
            id,
            code,
            name,
            description: given.description.filter(|d| !d.is_empty()),
            max_participants: max,
            is_private: given.is_private.unwrap_or(false),
            owner,
            settings: given.settings.unwrap_or_default(),
            created_at: now,
        })
    }
}

/// The letters of join codes: no 0/O, 1/I/L.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const CODE_LEN: usize = 6;

/// A random join code.
pub fn new_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// `text` as a join code if it looks like one (case and dashes forgiven).
pub fn as_code(text: &str) -> Option<String> {
    let code: String = text
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

/// Unix ms as ISO 8601 (UTC, milliseconds).
pub fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_no_ambiguous_letters() {
        for _ in 0..200 {
            let code = new_code();
            assert_eq!(code.len(), CODE_LEN);
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
            assert_eq!(as_code(&code.to_lowercase()), Some(code));
        }
        assert_eq!(as_code("abc-def"), Some("ABCDEF".into()));
        assert_eq!(as_code("ABCDE0"), None);
        assert_eq!(as_code("8f2a0c1e-uuid"), None);
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_796_300_000_123), "2026-12-03T12:13:20.123Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn roles_from_v1z3r_words() {
        assert_eq!(Role::requested(Some("participant"), true), Role::Controller);
        assert_eq!(Role::requested(Some("participant"), false), Role::Display);
        assert_eq!(Role::requested(Some("host"), true), Role::Display);
        assert_eq!(Role::requested(Some("viewer"), true), Role::Viewer);
        assert!(!Capabilities::of(Role::Display).can_control_visuals);
        assert!(Capabilities::of(Role::Host).can_invite_others);
    }
}
