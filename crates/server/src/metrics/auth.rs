//! Throttled authentication attempts, by reason: `login` and `address` (login throttling), `hasher_busy`
//! (the password hasher's queue was full).

use metrics::counter;

use super::names::AUTH_THROTTLED_TOTAL;

const REASONS: [&str; 3] = ["login", "address", "hasher_busy"];

/// Every reason's series, at 0.
pub fn register() {
    for reason in REASONS {
        counter!(AUTH_THROTTLED_TOTAL, "reason" => reason).increment(0);
    }
}

pub fn throttled(reason: &'static str) {
    counter!(AUTH_THROTTLED_TOTAL, "reason" => reason).increment(1);
}
