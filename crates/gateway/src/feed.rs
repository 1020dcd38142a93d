//! Feeds: the newest-only stream of frames an application publishes (once per tick, once per room send)
//! and every follower reads. A frame is encoded once per codec and delta base by the application and
//! shared as `Bytes`; the gateway keeps, per connection, only a [`Cursor`] saying what that connection
//! has. A slow connection skips to the newest frame; it never builds a backlog.

use std::fmt;
use std::sync::Arc;

use protocol::Codec;
use tokio::sync::watch;

use crate::wire::Wire;

/// One published frame in every form a follower may need. Implemented by the application.
pub trait FeedFrame: Send + Sync + fmt::Debug + 'static {
    /// Appends to `out` what a connection at `cursor` is sent for this frame — nothing when it is up
    /// to date or the frame is not for it yet — and advances the cursor past what it appended. What
    /// several connections are sent alike is built once ([`Wire`] clones share their bytes).
    fn emit(&self, cursor: &mut Cursor, out: &mut Vec<Wire>);
}

/// What one connection has received of a feed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Whom the frames are for (an application's player or participant id; 0: nobody in particular).
    pub subscriber: u64,
    /// The sequence number (tick, version) of the newest frame written to this connection: the base
    /// of the next delta (TCP delivers in order). `None` until the first frame.
    pub base: Option<u64>,
    /// Codecs the client decodes ([`Codec::bit`] set).
    pub codecs: u8,
    /// Which of the application's encodings the connection takes (its protocol; the application's
    /// own numbering).
    pub format: u8,
    /// Frames written so far.
    pub sent: u64,
}

/// The watch an application publishes frames on.
pub type FrameSender = watch::Sender<Arc<dyn FeedFrame>>;

/// A connection's subscription: the application's watch and this connection's cursor.
#[derive(Debug)]
pub struct Feed {
    pub(crate) frames: watch::Receiver<Arc<dyn FeedFrame>>,
    pub(crate) cursor: Cursor,
}

impl Feed {
    pub fn new(frames: watch::Receiver<Arc<dyn FeedFrame>>, cursor: Cursor) -> Self {
        Self { frames, cursor }
    }
}

/// The codec to send a frame with: the one the application chose for it when the client decodes
/// that one, else the best the client decodes (none when it decodes no compressed codec).
pub fn choose_codec(preferred: Codec, accepted: u8) -> Codec {
    if accepted & preferred.bit() != 0 || preferred == Codec::None {
        return preferred;
    }
    [Codec::Zstd, Codec::Deflate, Codec::Lz4]
        .into_iter()
        .find(|c| accepted & c.bit() != 0)
        .unwrap_or(Codec::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_falls_back_to_what_the_client_decodes() {
        let all = u8::MAX;
        assert_eq!(choose_codec(Codec::Zstd, all), Codec::Zstd);
        let browser = Codec::None.bit() | Codec::Deflate.bit() | Codec::Lz4.bit();
        assert_eq!(choose_codec(Codec::Zstd, browser), Codec::Deflate);
        assert_eq!(choose_codec(Codec::Lz4, browser), Codec::Lz4);
        assert_eq!(choose_codec(Codec::Deflate, Codec::None.bit()), Codec::None);
        assert_eq!(choose_codec(Codec::None, 0), Codec::None);
    }
}
