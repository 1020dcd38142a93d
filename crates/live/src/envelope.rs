//! The envelope of v1z3r's `sync-core` client: `{id, type, timestamp, source, target?, roomId?, data,
//! metadata?}`. Every frame the server sends has a UUID id and a `data` object; empty optional fields
//! are left out, never `null` (the client's schema refuses null).

use serde::Serialize;
use serde_json::{Map, Value};

/// The types the client's schema accepts.
pub const TYPES: [&str; 13] = [
    "ping",
    "pong",
    "join_room",
    "leave_room",
    "broadcast",
    "direct_message",
    "parameter_update",
    "layer_update",
    "preset_update",
    "voice_command",
    "sync_state",
    "error",
    "authentication",
];

/// One server → client envelope.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'a str,
    timestamp: i64,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    room_id: Option<&'a str>,
    data: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Map<String, Value>>,
}

impl<'a> Envelope<'a> {
    /// `kind` must be one of [`TYPES`]; `data` that is not an object is wrapped as `{value: …}`.
    pub fn new(kind: &'a str, source: &'a str, data: Value) -> Self {
        debug_assert!(TYPES.contains(&kind), "{kind}");
        let data = match data {
            Value::Object(_) => data,
            Value::Null => Value::Object(Map::new()),
            other => serde_json::json!({ "value": other }),
        };
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            kind,
            timestamp: crate::now_ms(),
            source,
            target: None,
            room_id: None,
            data: strip_nulls(data),
            metadata: None,
        }
    }

    pub fn room(mut self, room: &'a str) -> Self {
        self.room_id = Some(room);
        self
    }

    pub fn target(mut self, target: &'a str) -> Self {
        self.target = Some(target);
        self
    }

    /// Echoes a request's id (`metadata.requestId`) so the client's pending request resolves.
    pub fn reply_to(mut self, request_id: Option<&str>) -> Self {
        if let Some(id) = request_id {
            let meta = self.metadata.get_or_insert_with(Map::new);
            meta.insert("requestId".into(), Value::String(id.to_owned()));
        }
        self
    }

    pub fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// `value` without object fields that are null (relayed data may carry them; the client's schema
/// takes `data: any`, but our own fields never carry null).
pub fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

/// The error envelope: `data.message`, `data.code` and, for a message we could not take, the message
/// as it came (`data.originalMessage`).
pub fn error(
    code: crate::ErrorCode,
    message: &str,
    original: Option<Value>,
    request_id: Option<&str>,
) -> String {
    let mut data = serde_json::json!({ "code": code.as_str(), "message": message, "error": message, "success": false });
    if let Some(original) = original {
        data["originalMessage"] = original;
    }
    Envelope::new("error", "server", data)
        .reply_to(request_id)
        .text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_fields_are_left_out_and_ids_are_uuids() {
        let text = Envelope::new("pong", "server", Value::Null).text();
        let v: Value = serde_json::from_str(&text).unwrap();
        let obj = v.as_object().unwrap();
        assert!(uuid::Uuid::parse_str(obj["id"].as_str().unwrap()).is_ok());
        assert!(obj["data"].is_object());
        for absent in ["target", "roomId", "metadata"] {
            assert!(!obj.contains_key(absent), "{absent} in {text}");
        }
        assert!(!text.contains("null"));
    }

    #[test]
    fn replies_echo_the_request_id() {
        let text = Envelope::new(
            "sync_state",
            "server",
            serde_json::json!({"a": null, "b": 1}),
        )
        .room("r")
        .reply_to(Some("q1"))
        .text();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["metadata"]["requestId"], "q1");
        assert_eq!(v["roomId"], "r");
        assert!(!text.contains("null"));
    }
}
