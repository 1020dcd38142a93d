//! v0 client messages (JSON text from the browser): any bytes are refused or read, never a panic; what
//! is read writes back to JSON that reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::v0::ClientMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = serde_json::from_slice::<ClientMessage>(data) {
        let text = serde_json::to_string(&msg).expect("a read message writes");
        let again: ClientMessage = serde_json::from_str(&text).expect("what we write reads back");
        assert_eq!(serde_json::to_string(&again).unwrap(), text);
    }
});
