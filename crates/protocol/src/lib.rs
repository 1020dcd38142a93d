//! Wire types and codecs for Cosmic Gardener's `/ws` protocols.
//!
//! Owns: message types (v0 compat JSON, v1 control messages), the binary world-frame format with quantized
//! positions and deltas, and compression. Must not depend on tokio, sockets, databases or the simulation:
//! the server maps simulation types to these. See docs/protocol.md.

pub mod codec;
pub mod frame;
pub mod kinds;
pub mod quant;
pub mod v0;
pub mod v1;
pub mod varint;

pub use codec::{AdaptiveCompressor, Codec, CodecError, CodecStats};
pub use frame::{Frame, WireBody, WireEvent, WorldView};
