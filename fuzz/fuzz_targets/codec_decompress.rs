//! Compressed messages (codec tag + lz4 / deflate / zstd payload): any bytes are refused or
//! decompressed within the limit, never a panic or an allocation past it.
#![no_main]

use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    if let Ok((_, out)) = protocol::codec::decompress(data, LIMIT) {
        assert!(out.len() <= LIMIT);
    }
});
