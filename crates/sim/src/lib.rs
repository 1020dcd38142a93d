//! Cosmic Gardener's simulation: the garden's rules and the gravity engine.
//!
//! Pure and deterministic: no async, no I/O, no clocks, no global randomness. The same world state and the
//! same command sequence give bit-identical results on the same build and CPU; that is what makes recovery by
//! snapshot + replay exact.

pub mod gravity;
