//! Live sessions' metrics (listed with their help texts in the server's metric table). Labels are
//! roles and message types: never room or participant ids.

use std::time::Duration;

use metrics::{counter, gauge, histogram};

use crate::room::Role;

pub const LIVE_ROOMS: &str = "cosmic_live_rooms";
pub const LIVE_PARTICIPANTS: &str = "cosmic_live_participants";
pub const LIVE_MESSAGES_TOTAL: &str = "cosmic_live_messages_total";
pub const LIVE_FANOUT_MESSAGES_TOTAL: &str = "cosmic_live_fanout_messages_total";
pub const LIVE_FANOUT_DELAY_SECONDS: &str = "cosmic_live_fanout_delay_seconds";
/// Its buckets: one display frame at 60 Hz is 16.7 ms.
pub const FANOUT_BUCKETS: &[f64] = &[0.0005, 0.001, 0.002, 0.004, 0.008, 0.0167, 0.033, 0.1, 0.5];

pub(crate) fn rooms(n: usize) {
    gauge!(LIVE_ROOMS).set(n as f64);
}

pub(crate) fn joined(role: Role) {
    gauge!(LIVE_PARTICIPANTS, "role" => role.as_str()).increment(1.0);
}

pub(crate) fn left(role: Role) {
    gauge!(LIVE_PARTICIPANTS, "role" => role.as_str()).decrement(1.0);
}

/// One message of `kind` (an envelope type or an operation) handled.
pub(crate) fn message(kind: &'static str) {
    counter!(LIVE_MESSAGES_TOTAL, "type" => kind).increment(1);
}

/// Messages written to members by one relay.
pub(crate) fn fanned_out(n: usize) {
    counter!(LIVE_FANOUT_MESSAGES_TOTAL).increment(n as u64);
}

/// A room published a frame `delay` after the first change in it went in.
pub(crate) fn published(delay: Duration) {
    histogram!(LIVE_FANOUT_DELAY_SECONDS).record(delay.as_secs_f64());
}

/// Every series at 0 from the start.
pub fn register() {
    rooms(0);
    for role in Role::ALL {
        gauge!(LIVE_PARTICIPANTS, "role" => role.as_str()).set(0.0);
    }
    counter!(LIVE_FANOUT_MESSAGES_TOTAL).absolute(0);
    // Registered, with no sample: the scrape shows its buckets at 0.
    let _ = histogram!(LIVE_FANOUT_DELAY_SECONDS);
    let kinds = [
        "set_parameters",
        "remove_parameters",
        "add_layer",
        "update_layer",
        "remove_layer",
        "reorder_layers",
        "set_tempo",
        "tap",
        "replace_state",
        "parameter_update",
        "layer_update",
        "preset_update",
        "broadcast",
        "voice_command",
        "direct_message",
        "audio_features",
    ];
    for kind in kinds {
        counter!(LIVE_MESSAGES_TOTAL, "type" => kind).absolute(0);
    }
}
