//! Protocol v0 (compat): the JSON messages of the existing Cosmic Gardener web client, unchanged.
//!
//! Spoken on `/ws` when the client asks for no subprotocol. Text frames, one JSON object each, tagged by
//! `"type"`. The server owns the game state: `SaveGame` and `SpendResources` are refused with an `Error`.

use serde::{Deserialize, Deserializer, Serialize};

use crate::v1::WireResources;

/// Client → server.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type")]
pub enum ClientMessage {
    /// Ask for a `GameState` now.
    GetGameState,
    /// Create a body at `position`; answered by `BodyCreated`.
    CreateBody {
        /// `"Asteroid"`, or an object such as `{"Planet": {…}}` whose key names the kind (contents ignored,
        /// except a star's `"spectral_type"` — the existing client's name — or `"class"`/`"spectral_class"`).
        #[serde(deserialize_with = "body_type")]
        body_type: String,
        position: [f64; 3],
    },
    /// Remove one of the player's bodies; answered by `BodyRemoved`.
    RemoveBody {
        #[serde(deserialize_with = "id")]
        body_id: u64,
    },
    /// Refused: the server charges costs itself.
    SpendResources {
        #[serde(default)]
        cosmic_dust: f64,
        #[serde(default)]
        energy: f64,
    },
    /// Stop (`false`) or resume (`true`) the stream of `GameState` to this connection.
    SetGameRunning { running: bool },
    /// Keep-alive; no answer.
    Heartbeat,
    /// Refused: the server owns the state.
    SaveGame {
        #[serde(default)]
        game_state: serde_json::Value,
    },
}

/// A body in `GameState`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Body {
    pub id: String,
    pub body_type: String,
    pub position: [f64; 3],
    pub velocity: [f64; 3],
    pub mass: f64,
    pub radius: f64,
    /// Ticks since creation.
    pub age: u64,
    /// Inhabitants of a planet (0 elsewhere), from its life stage.
    pub population: u64,
}

/// Server → client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ServerMessage {
    GameState {
        resources: WireResources,
        bodies: Vec<Body>,
        tick: u64,
    },
    BodyCreated {
        body_id: Option<String>,
        success: bool,
        error: Option<String>,
    },
    BodyRemoved {
        body_id: String,
        success: bool,
    },
    Error {
        message: String,
    },
    Ping,
}

/// The v0 kind names, in the order of [`crate::kinds::KINDS`]' non-star entries, then `Star`.
pub fn kind_name(code: u8) -> &'static str {
    match code {
        0 => "Asteroid",
        1 => "Comet",
        2 => "Moon",
        3 => "DwarfPlanet",
        4 => "Planet",
        5 => "BlackHole",
        _ => "Star",
    }
}

/// Maps a v0 `body_type` (as normalised by deserialization) to a wire kind code.
pub fn kind_code(body_type: &str) -> Option<u8> {
    let (kind, class) = body_type.split_once(':').unwrap_or((body_type, "g"));
    let name = match kind {
        "Asteroid" => "asteroid",
        "Comet" => "comet",
        "Moon" => "moon",
        "DwarfPlanet" => "dwarf_planet",
        "Planet" => "planet",
        "BlackHole" => "black_hole",
        "Star" => return crate::kinds::code(&format!("star_{}", class.to_lowercase())),
        _ => return None,
    };
    crate::kinds::code(name)
}

/// Population shown for a planet at a life stage (0..=4).
pub fn population(life_stage: u8) -> u64 {
    [0, 1_000_000, 1_000_000_000, 5_000_000_000, 8_000_000_000][usize::from(life_stage.min(4))]
}

/// `"Asteroid"` or `{"Star": {"spectral_type": "K"}}` → `"Asteroid"` / `"Star:K"` (the existing client
/// names the class `spectral_type`; `class` and `spectral_class` are accepted too).
fn body_type<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Object(map) if map.len() == 1 => {
            let (kind, inner) = map
                .into_iter()
                .next()
                .ok_or_else(|| D::Error::custom("empty body_type"))?;
            let class = inner
                .get("spectral_type")
                .or_else(|| inner.get("class"))
                .or_else(|| inner.get("spectral_class"))
                .and_then(|c| c.as_str());
            Ok(match class {
                Some(c) => format!("{kind}:{c}"),
                None => kind,
            })
        }
        _ => Err(D::Error::custom(
            "body_type must be a string or an object with one key",
        )),
    }
}

/// A body id as a number or a string of digits.
fn id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| D::Error::custom("body_id must be a non-negative integer")),
        serde_json::Value::String(s) => s
            .parse()
            .map_err(|_| D::Error::custom("body_id must be a number")),
        _ => Err(D::Error::custom("body_id must be a number or a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_existing_clients_messages() {
        let m: ClientMessage = serde_json::from_str(
            r#"{"type":"CreateBody","body_type":"Asteroid","position":[1,2,3]}"#,
        )
        .unwrap();
        assert_eq!(
            m,
            ClientMessage::CreateBody {
                body_type: "Asteroid".into(),
                position: [1.0, 2.0, 3.0]
            }
        );
        let m: ClientMessage = serde_json::from_str(
            r#"{"type":"CreateBody","body_type":{"Star":{"class":"K"}},"position":[1,2,3]}"#,
        )
        .unwrap();
        let ClientMessage::CreateBody { body_type, .. } = m else {
            panic!()
        };
        assert_eq!(kind_code(&body_type), crate::kinds::code("star_k"));
        let m: ClientMessage =
            serde_json::from_str(r#"{"type":"RemoveBody","body_id":"17"}"#).unwrap();
        assert_eq!(m, ClientMessage::RemoveBody { body_id: 17 });
        let m: ClientMessage = serde_json::from_str(r#"{"type":"Heartbeat"}"#).unwrap();
        assert_eq!(m, ClientMessage::Heartbeat);
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"Nope"}"#).is_err());
    }

    /// Regression: the existing client sends `{"Star":{"spectral_type":"K"}}`; the field was not read and
    /// the server created a G star.
    #[test]
    fn the_original_clients_spectral_type_names_the_star_class() {
        for (class, code) in [
            ("K", "star_k"),
            ("M", "star_m"),
            ("O", "star_o"),
            ("b", "star_b"),
        ] {
            let text = format!(
                r#"{{"type":"CreateBody","body_type":{{"Star":{{"spectral_type":"{class}"}}}},"position":[1,2,3]}}"#
            );
            let m: ClientMessage = serde_json::from_str(&text).unwrap();
            let ClientMessage::CreateBody { body_type, .. } = m else {
                panic!("not a CreateBody: {m:?}");
            };
            assert_eq!(kind_code(&body_type), crate::kinds::code(code), "{class}");
        }
    }
}
