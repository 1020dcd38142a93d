//! Quota refusals by reason (`quota`, `rate`, `budget`) and what was refused (`world`, `guest`); stale
//! guest accounts removed; worlds slowed down by the simulation budget.

use metrics::{counter, gauge};

use super::names::{GUESTS_REMOVED_TOTAL, QUOTA_REFUSALS_TOTAL, WORLDS_SLOWED};

const REFUSALS: [(&str, &str); 4] = [
    ("world", "quota"),
    ("world", "rate"),
    ("world", "budget"),
    ("guest", "rate"),
];

/// Every series, at 0.
pub fn register() {
    for (what, reason) in REFUSALS {
        counter!(QUOTA_REFUSALS_TOTAL, "what" => what, "reason" => reason).increment(0);
    }
    counter!(GUESTS_REMOVED_TOTAL).increment(0);
    gauge!(WORLDS_SLOWED).set(0.0);
}

/// Worlds the simulation budget runs below full speed now.
pub fn worlds_slowed(n: usize) {
    gauge!(WORLDS_SLOWED).set(n as f64);
}

pub fn refused(what: &'static str, reason: &'static str) {
    counter!(QUOTA_REFUSALS_TOTAL, "what" => what, "reason" => reason).increment(1);
}

pub fn guests_removed(n: usize) {
    counter!(GUESTS_REMOVED_TOTAL).increment(n as u64);
}
