//! Quota refusals by reason (`quota`, `rate`, `budget`) and what was refused (`world`, `guest`), and
//! stale guest accounts removed.

use metrics::counter;

use super::names::{GUESTS_REMOVED_TOTAL, QUOTA_REFUSALS_TOTAL};

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
}

pub fn refused(what: &'static str, reason: &'static str) {
    counter!(QUOTA_REFUSALS_TOTAL, "what" => what, "reason" => reason).increment(1);
}

pub fn guests_removed(n: usize) {
    counter!(GUESTS_REMOVED_TOTAL).increment(n as u64);
}
