//! Wire types and codecs for Cosmic Gardener's `/ws` protocols.
//!
//! Owns: message types, binary encoding, quantization, deltas, compression. Must not depend on tokio,
//! sockets or databases. Filled in by the real-time server work (issue 3).
