//! The upgraded connection as the reader and the writer hold it. Served by [`crate::serve`], it is the
//! TCP stream itself (split into owned halves: no lock between the reader and the writer, one
//! `write` per frame straight to the socket); served by anything else, hyper's boxed `Upgraded`.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

type Boxed = TokioIo<Upgraded>;

/// The read half, with the bytes the HTTP server had read past the upgrade request first.
pub(crate) struct ReadIo {
    prefix: Bytes,
    half: ReadHalfIo,
}

enum ReadHalfIo {
    Tcp(OwnedReadHalf),
    Boxed(ReadHalf<Boxed>),
}

/// The write half.
pub(crate) enum WriteIo {
    Tcp(OwnedWriteHalf),
    Boxed(WriteHalf<Boxed>),
}

/// Splits an upgraded connection: the TCP stream's own halves when [`crate::serve`] served it.
pub(crate) fn split(upgraded: Upgraded) -> (ReadIo, WriteIo) {
    match upgraded.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) => {
            let (read, write) = parts.io.into_inner().into_split();
            // A copy: the slice would keep hyper's whole read buffer alive for the connection's life.
            let read = ReadIo {
                prefix: Bytes::copy_from_slice(&parts.read_buf),
                half: ReadHalfIo::Tcp(read),
            };
            (read, WriteIo::Tcp(write))
        }
        Err(upgraded) => {
            let (read, write) = tokio::io::split(TokioIo::new(upgraded));
            let read = ReadIo {
                prefix: Bytes::new(),
                half: ReadHalfIo::Boxed(read),
            };
            (read, WriteIo::Boxed(write))
        }
    }
}

impl AsyncRead for ReadIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            buf.put_slice(&self.prefix[..n]);
            self.prefix.advance(n);
            if self.prefix.is_empty() {
                self.prefix = Bytes::new();
            }
            return Poll::Ready(Ok(()));
        }
        match &mut self.half {
            ReadHalfIo::Tcp(r) => Pin::new(r).poll_read(cx, buf),
            ReadHalfIo::Boxed(r) => Pin::new(r).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WriteIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(w) => Pin::new(w).poll_write(cx, buf),
            Self::Boxed(w) => Pin::new(w).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(w) => Pin::new(w).poll_write_vectored(cx, bufs),
            Self::Boxed(w) => Pin::new(w).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Tcp(w) => w.is_write_vectored(),
            Self::Boxed(w) => w.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(w) => Pin::new(w).poll_flush(cx),
            Self::Boxed(w) => Pin::new(w).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(w) => Pin::new(w).poll_shutdown(cx),
            Self::Boxed(w) => Pin::new(w).poll_shutdown(cx),
        }
    }
}
