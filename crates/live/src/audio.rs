//! Audio features: a controller's music as up to 32 band levels and beat flags, up to 60 times a
//! second, fanned out to the room's displays and never stored.
//!
//! One binary message in both `cosmic.live.v1` subprotocols: `'A'` (0x41, which is no codec byte),
//! then `flags`, `n` (≤ 32), then `n` levels (0–255). The server appends its time (Unix ms, f64 little
//! endian) to what it fans out. Compat members get it as a `broadcast` with `data.event`
//! `audio_features`, levels as numbers 0–1.

use serde_json::{Value, json};

use crate::error::{ErrorCode, LiveError};

/// The first byte of an audio-features message.
pub const MAGIC: u8 = b'A';
/// Bands at most.
pub const MAX_BANDS: usize = 32;
/// `flags` bit: a beat starts in this frame.
pub const BEAT: u8 = 1;

/// One frame of audio features.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioFeatures {
    pub flags: u8,
    pub levels: Vec<u8>,
}

impl AudioFeatures {
    /// Reads a client's message.
    pub fn read(bytes: &[u8]) -> Result<Self, LiveError> {
        let bad =
            |m: &str| LiveError::new(ErrorCode::InvalidMessage, format!("audio features: {m}"));
        let [magic, flags, n, levels @ ..] = bytes else {
            return Err(bad("shorter than its 3-byte header"));
        };
        if *magic != MAGIC {
            return Err(bad(
                "a binary message from a client starts with 'A' (audio features)",
            ));
        }
        let n = usize::from(*n);
        if n > MAX_BANDS {
            return Err(LiveError::new(
                ErrorCode::LimitExceeded,
                format!("audio features: {n} bands, {MAX_BANDS} at most"),
            ));
        }
        if levels.len() != n {
            return Err(bad(&format!(
                "{} levels after a header saying {n}",
                levels.len()
            )));
        }
        Ok(Self {
            flags: *flags,
            levels: levels.to_vec(),
        })
    }

    /// The message the server fans out: the client's bytes and its own time.
    pub fn server_message(&self, server_time: i64) -> Vec<u8> {
        let mut out = Vec::with_capacity(3 + self.levels.len() + 8);
        out.extend_from_slice(&[MAGIC, self.flags, self.levels.len() as u8]);
        out.extend_from_slice(&self.levels);
        out.extend_from_slice(&(server_time as f64).to_le_bytes());
        out
    }

    /// The compat envelope's `data`.
    pub fn compat_data(&self, server_time: i64) -> Value {
        let bands: Vec<f64> = self
            .levels
            .iter()
            .map(|l| (f64::from(*l) / 255.0 * 1000.0).round() / 1000.0)
            .collect();
        json!({ "event": "audio_features", "bands": bands, "beat": self.flags & BEAT != 0,
                "flags": self.flags, "serverTime": server_time })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_a_controller_sends_and_refuses_the_rest() {
        let a = AudioFeatures::read(&[b'A', BEAT, 3, 0, 128, 255]).unwrap();
        assert_eq!(a.levels, vec![0, 128, 255]);
        let out = a.server_message(1_000);
        assert_eq!(&out[..6], &[b'A', BEAT, 3, 0, 128, 255]);
        assert_eq!(f64::from_le_bytes(out[6..].try_into().unwrap()), 1_000.0);
        assert_eq!(a.compat_data(5)["bands"], json!([0.0, 0.502, 1.0]));
        assert!(AudioFeatures::read(&[b'A', 0]).is_err());
        assert!(AudioFeatures::read(&[b'B', 0, 0]).is_err());
        assert!(AudioFeatures::read(&[b'A', 0, 2, 1]).is_err());
        let mut many = vec![b'A', 0, 33];
        many.extend([0; 33]);
        assert_eq!(
            AudioFeatures::read(&many).unwrap_err().code,
            ErrorCode::LimitExceeded
        );
    }
}
