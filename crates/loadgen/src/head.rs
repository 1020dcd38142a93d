//! Reading the head of a compressed binary message (a world frame's kind, tick and publish time) without
//! decompressing it for every client.
//!
//! Without `--verify` this is all the load generator needs from a frame. Two things keep it cheap:
//! - the server sends the same bytes for a tick to every client on the same base, so each worker thread
//!   remembers the publish time of the last few distinct compressed frames by a fingerprint of all their
//!   bytes, and decodes each distinct frame once (zstd decodes a whole block even for a few bytes: without
//!   this it was half the generator's CPU);
//! - deflate is inflated only up to [`HEAD`] bytes, with decompressor state reused per thread (a context
//!   per message costs more than the decode). LZ4 is decompressed fully (it is cheap).

use std::cell::RefCell;

use flate2::{Decompress, FlushDecompress};
use protocol::Codec;
use zstd::stream::raw::Operation;

/// Bytes of payload decoded: a kind byte and three 10-byte varints fit.
pub const HEAD: usize = 48;
/// Decompressor calls per message before giving up (each normally makes progress).
const MAX_STEPS: usize = 16;
/// Largest LZ4 payload decompressed.
const MAX_PAYLOAD: usize = 64 << 20;
/// Distinct frames remembered per thread (a tick has a few: snapshot, and deltas from recent bases).
const CACHE: usize = 64;

thread_local! {
    static INFLATE: RefCell<Decompress> = RefCell::new(Decompress::new(false));
    static ZSTD: RefCell<Option<zstd::stream::raw::Decoder<'static>>> = const { RefCell::new(None) };
    /// (fingerprint, publish time) by `fingerprint % CACHE`; fingerprint 0 = empty.
    static TIMES: RefCell<[(u64, u64); CACHE]> = const { RefCell::new([(0, 0); CACHE]) };
}

/// A 64-bit hash of all of `message` and its length (FxHash-style, several GB/s): equal fingerprints are
/// taken as equal messages. A collision would only misdate one latency sample.
pub fn fingerprint(message: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = message.len() as u64;
    let mut chunks = message.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    h | 1
}

/// The publish time remembered for `fingerprint` on this thread.
pub fn cached_time(fingerprint: u64) -> Option<u64> {
    TIMES.with(|t| {
        let (f, time) = t.borrow()[fingerprint as usize % CACHE];
        (f == fingerprint).then_some(time)
    })
}

pub fn remember_time(fingerprint: u64, time_us: u64) {
    TIMES.with(|t| t.borrow_mut()[fingerprint as usize % CACHE] = (fingerprint, time_us));
}

/// Decompresses the start of `body` (the message after its codec byte) into `out`; returns the number of
/// bytes written (fewer than [`HEAD`] only when the payload is shorter), or `None` if the codec is not
/// handled here or the data is corrupt.
pub fn decode(codec: Codec, body: &[u8], out: &mut [u8; HEAD]) -> Option<usize> {
    match codec {
        Codec::Deflate => INFLATE.with(|d| inflate(&mut d.borrow_mut(), body, out)),
        Codec::Zstd => ZSTD.with(|cell| {
            let mut cell = cell.borrow_mut();
            if cell.is_none() {
                *cell = zstd::stream::raw::Decoder::new().ok();
            }
            unzstd(cell.as_mut()?, body, out)
        }),
        Codec::Lz4 => {
            let mut message = Vec::with_capacity(body.len() + 1);
            message.push(Codec::Lz4 as u8);
            message.extend_from_slice(body);
            let (_, payload) = protocol::codec::decompress(&message, MAX_PAYLOAD).ok()?;
            let n = payload.len().min(HEAD);
            out[..n].copy_from_slice(&payload[..n]);
            Some(n)
        }
        Codec::None => None,
    }
}

fn inflate(d: &mut Decompress, body: &[u8], out: &mut [u8; HEAD]) -> Option<usize> {
    d.reset(false);
    for _ in 0..MAX_STEPS {
        let (read, written) = (d.total_in() as usize, d.total_out() as usize);
        if written >= HEAD {
            break;
        }
        let status = d
            .decompress(
                body.get(read..)?,
                out.get_mut(written..)?,
                FlushDecompress::None,
            )
            .ok()?;
        let progressed = d.total_in() as usize > read || d.total_out() as usize > written;
        if status == flate2::Status::StreamEnd || !progressed {
            break;
        }
    }
    Some(d.total_out() as usize)
}

fn unzstd(
    d: &mut zstd::stream::raw::Decoder<'static>,
    body: &[u8],
    out: &mut [u8; HEAD],
) -> Option<usize> {
    d.reinit().ok()?;
    let (mut read, mut written) = (0, 0);
    for _ in 0..MAX_STEPS {
        if written >= HEAD {
            break;
        }
        let s = d
            .run_on_buffers(body.get(read..)?, out.get_mut(written..)?)
            .ok()?;
        read += s.bytes_read;
        written += s.bytes_written;
        if s.bytes_read == 0 && s.bytes_written == 0 {
            break;
        }
    }
    Some(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_match_full_decompression() {
        let payload: Vec<u8> = (0..5_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for codec in [Codec::Lz4, Codec::Deflate, Codec::Zstd] {
            let mut message = Vec::new();
            protocol::codec::compress_into(codec, &payload, &mut message);
            let mut out = [0; HEAD];
            for _ in 0..2 {
                let n = decode(codec, &message[1..], &mut out);
                assert_eq!(n, Some(HEAD), "{codec:?}");
                assert_eq!(&out[..], &payload[..HEAD], "{codec:?}");
            }
            let mut short = Vec::new();
            protocol::codec::compress_into(codec, &payload[..10], &mut short);
            assert_eq!(decode(codec, &short[1..], &mut out), Some(10));
            assert_eq!(decode(codec, &[1, 2, 3], &mut out).unwrap_or(0), 0);
        }
        let f = fingerprint(&payload);
        assert_ne!(f, fingerprint(&payload[1..]));
        assert_eq!(cached_time(f), None);
        remember_time(f, 42);
        assert_eq!(cached_time(f), Some(42));
    }
}
