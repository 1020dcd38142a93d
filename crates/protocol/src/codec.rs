//! Compression of binary messages: one header byte names the codec, the rest is the compressed payload.
//!
//! Codecs: none, LZ4 (block, size-prefixed), deflate (raw, RFC 1951 — browsers decode it natively with
//! `DecompressionStream("deflate-raw")`) and zstd. [`AdaptiveCompressor`] picks one per frame from the
//! frame's size and the ratios the codecs actually achieved on recent frames.

use std::io::{Read, Write};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// A compression codec; its discriminant is the header byte.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum Codec {
    None = 0,
    Lz4 = 1,
    Deflate = 2,
    Zstd = 3,
}

impl Codec {
    pub const ALL: [Codec; 4] = [Codec::None, Codec::Lz4, Codec::Deflate, Codec::Zstd];

    pub fn from_byte(b: u8) -> Option<Codec> {
        Self::ALL.get(usize::from(b)).copied()
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Lz4 => "lz4",
            Self::Deflate => "deflate",
            Self::Zstd => "zstd",
        }
    }

    /// Bit for a set of codecs a client accepts.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A message could not be decompressed.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("empty message")]
    Empty,
    #[error("unknown codec byte {0}")]
    UnknownCodec(u8),
    #[error("{codec:?} payload is corrupt: {message}")]
    Corrupt { codec: Codec, message: String },
    #[error("decompressed size exceeds the limit of {limit} bytes")]
    TooLarge { limit: usize },
}

/// Levels chosen for per-tick frames: fast enough to run every tick, good enough to matter.
const DEFLATE_LEVEL: u32 = 6;
const ZSTD_LEVEL: i32 = 3;

/// Appends the header byte and `payload` compressed with `codec` to `out`.
pub fn compress_into(codec: Codec, payload: &[u8], out: &mut Vec<u8>) {
    out.push(codec as u8);
    match codec {
        Codec::None => out.extend_from_slice(payload),
        Codec::Lz4 => out.extend_from_slice(&lz4_flex::block::compress_prepend_size(payload)),
        Codec::Deflate => {
            let mut enc =
                flate2::write::DeflateEncoder::new(out, flate2::Compression::new(DEFLATE_LEVEL));
            // Writing into a Vec cannot fail.
            let _ = enc.write_all(payload);
            let _ = enc.finish();
        }
        Codec::Zstd => match zstd::bulk::compress(payload, ZSTD_LEVEL) {
            Ok(z) => out.extend_from_slice(&z),
            Err(_) => {
                // zstd only fails on allocation errors; fall back to sending the payload as is.
                let start = out.len() - 1;
                out[start] = Codec::None as u8;
                out.extend_from_slice(payload);
            }
        },
    }
}

/// Reads the header byte and decompresses the rest, refusing output larger than `limit` bytes.
pub fn decompress(message: &[u8], limit: usize) -> Result<(Codec, Vec<u8>), CodecError> {
    let (&head, body) = message.split_first().ok_or(CodecError::Empty)?;
    let codec = Codec::from_byte(head).ok_or(CodecError::UnknownCodec(head))?;
    let corrupt = |e: &dyn std::fmt::Display| CodecError::Corrupt {
        codec,
        message: e.to_string(),
    };
    let out = match codec {
        Codec::None => body.to_vec(),
        Codec::Lz4 => {
            let size = body
                .get(..4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                .ok_or_else(|| corrupt(&"missing size"))?;
            if size > limit {
                return Err(CodecError::TooLarge { limit });
            }
            lz4_flex::block::decompress_size_prepended(body).map_err(|e| corrupt(&e))?
        }
        Codec::Deflate => {
            read_limited(flate2::read::DeflateDecoder::new(body), limit).map_err(|e| match e {
                LimitedError::TooLarge => CodecError::TooLarge { limit },
                LimitedError::Io(e) => corrupt(&e),
            })?
        }
        Codec::Zstd => {
            let decoder = zstd::stream::read::Decoder::new(body).map_err(|e| corrupt(&e))?;
            read_limited(decoder, limit).map_err(|e| match e {
                LimitedError::TooLarge => CodecError::TooLarge { limit },
                LimitedError::Io(e) => corrupt(&e),
            })?
        }
    };
    if out.len() > limit {
        return Err(CodecError::TooLarge { limit });
    }
    Ok((codec, out))
}

enum LimitedError {
    TooLarge,
    Io(std::io::Error),
}

fn read_limited(reader: impl Read, limit: usize) -> Result<Vec<u8>, LimitedError> {
    let mut out = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(LimitedError::Io)?;
    if out.len() > limit {
        return Err(LimitedError::TooLarge);
    }
    Ok(out)
}

/// Running totals for one codec, for the metrics endpoint and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CodecStats {
    pub frames: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub nanos: u64,
}

/// Chooses a codec per frame. Frames below `min_size` go uncompressed; otherwise the codec with the best
/// recent ratio (exponentially weighted) among those allowed, with every codec re-tried on one frame in
/// `probe_every` so the choice follows the data.
#[derive(Clone, Debug)]
pub struct AdaptiveCompressor {
    pub min_size: usize,
    pub probe_every: u64,
    allowed: u8,
    /// Recent output/input ratio per codec (lower is better); starts optimistic so each gets tried.
    ratio: [f64; 4],
    stats: [CodecStats; 4],
    frames: u64,
}

/// Frames smaller than this are sent uncompressed: the saving would not pay for the work.
pub const DEFAULT_MIN_COMPRESS_SIZE: usize = 256;
/// Every this many frames, all codecs are tried again on one frame.
pub const DEFAULT_PROBE_EVERY: u64 = 64;

impl Default for AdaptiveCompressor {
    fn default() -> Self {
        Self::new(Codec::ALL.iter().fold(0, |m, c| m | c.bit()))
    }
}

impl AdaptiveCompressor {
    /// A compressor limited to the codecs in the `allowed` bit set ([`Codec::bit`]); `None` is always allowed.
    pub fn new(allowed: u8) -> Self {
        Self {
            min_size: DEFAULT_MIN_COMPRESS_SIZE,
            probe_every: DEFAULT_PROBE_EVERY,
            allowed: allowed | Codec::None.bit(),
            ratio: [1.0, 0.0, 0.0, 0.0],
            stats: [CodecStats::default(); 4],
            frames: 0,
        }
    }

    pub fn stats(&self, codec: Codec) -> CodecStats {
        self.stats[codec as usize]
    }

    /// Compresses `payload` into a message (header byte + body).
    pub fn compress(&mut self, payload: &[u8]) -> Vec<u8> {
        self.frames += 1;
        if payload.len() < self.min_size {
            return self.run(Codec::None, payload);
        }
        let allowed: Vec<Codec> = Codec::ALL
            .into_iter()
            .filter(|c| self.allowed & c.bit() != 0)
            .collect();
        if self.frames % self.probe_every == 1 {
            // Probe: measure every codec on this frame, send the smallest.
            let mut best: Option<Vec<u8>> = None;
            for codec in allowed {
                let out = self.run(codec, payload);
                if best.as_ref().is_none_or(|b| out.len() < b.len()) {
                    best = Some(out);
                }
            }
            return best.unwrap_or_default();
        }
        let codec = allowed
            .into_iter()
            .min_by(|a, b| self.ratio[*a as usize].total_cmp(&self.ratio[*b as usize]))
            .unwrap_or(Codec::None);
        self.run(codec, payload)
    }

    fn run(&mut self, codec: Codec, payload: &[u8]) -> Vec<u8> {
        let start = Instant::now();
        let mut out = Vec::with_capacity(payload.len() / 2 + 16);
        compress_into(codec, payload, &mut out);
        let s = &mut self.stats[codec as usize];
        s.frames += 1;
        s.bytes_in += payload.len() as u64;
        s.bytes_out += out.len() as u64;
        s.nanos += start.elapsed().as_nanos() as u64;
        if !payload.is_empty() && codec != Codec::None {
            let r = out.len() as f64 / payload.len() as f64;
            let old = self.ratio[codec as usize];
            self.ratio[codec as usize] = if old == 0.0 { r } else { 0.8 * old + 0.2 * r };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_codec_roundtrips(payload in proptest::collection::vec(any::<u8>(), 0..4096)) {
            for codec in Codec::ALL {
                let mut msg = Vec::new();
                compress_into(codec, &payload, &mut msg);
                let (c, back) = decompress(&msg, 1 << 20).unwrap();
                prop_assert_eq!(c, codec);
                prop_assert_eq!(&back, &payload);
            }
        }

        #[test]
        fn garbage_is_an_error_not_a_panic(msg in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decompress(&msg, 1 << 16);
        }
    }

    #[test]
    fn decompression_bomb_is_refused() {
        let zeros = vec![0u8; 1 << 20];
        for codec in [Codec::Lz4, Codec::Deflate, Codec::Zstd] {
            let mut msg = Vec::new();
            compress_into(codec, &zeros, &mut msg);
            assert!(
                matches!(decompress(&msg, 1 << 16), Err(CodecError::TooLarge { .. })),
                "{codec:?}"
            );
        }
    }

    #[test]
    fn adaptive_sends_small_frames_raw_and_compresses_large_ones() {
        let mut c = AdaptiveCompressor::default();
        assert_eq!(c.compress(&[1, 2, 3])[0], Codec::None as u8);
        let text: Vec<u8> = (0..20_000u32)
            .flat_map(|i| (i % 97).to_le_bytes())
            .collect();
        for _ in 0..10 {
            let msg = c.compress(&text);
            assert_ne!(msg[0], Codec::None as u8);
            assert!(msg.len() < text.len() / 2);
        }
    }

    #[test]
    fn adaptive_respects_allowed_codecs() {
        let mut c = AdaptiveCompressor::new(Codec::Deflate.bit());
        let text = vec![7u8; 10_000];
        for _ in 0..100 {
            let head = c.compress(&text)[0];
            assert!(head == Codec::Deflate as u8 || head == Codec::None as u8);
        }
    }
}
