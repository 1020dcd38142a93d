//! The balance file (`world.balance`, TOML read at start): any text is refused with an error or read
//! into values that pass validation, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sim::Balance::from_toml(text);
    }
});
