//! Body kinds and research names as the wire spells them: one byte in frames, a name in JSON.

/// `(code, name)` of every body kind; stars carry their spectral class in the name.
pub const KINDS: [(u8, &str); 13] = [
    (0, "asteroid"),
    (1, "comet"),
    (2, "moon"),
    (3, "dwarf_planet"),
    (4, "planet"),
    (5, "black_hole"),
    (8, "star_o"),
    (9, "star_b"),
    (10, "star_a"),
    (11, "star_f"),
    (12, "star_g"),
    (13, "star_k"),
    (14, "star_m"),
];

pub fn name(code: u8) -> Option<&'static str> {
    KINDS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

pub fn code(name: &str) -> Option<u8> {
    KINDS.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
}

/// Research names a client may buy.
pub const RESEARCH: [&str; 7] = [
    "dust_yield",
    "energy_yield",
    "life_growth",
    "body_limit",
    "offline_efficiency",
    "stellar_ignition",
    "singularity_engineering",
];
