//! Binary world frames (what a client decodes from the server, and what `cosmic-loadgen --verify` reads):
//! any bytes are refused or read, never a panic; a frame read writes back to bytes that read to the same
//! bytes again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::frame;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = frame::decode(data) {
        let mut once = Vec::new();
        frame::encode(&f, &mut once);
        let again = frame::decode(&once).expect("what we encode decodes");
        let mut twice = Vec::new();
        frame::encode(&again, &mut twice);
        assert_eq!(once, twice);
    }
});
