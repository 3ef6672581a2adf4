//! The daemon's Unix socket as the HTTP client uses it. The daemon may answer an upload
//! before reading all of it (an unknown datanet, a payload over the limit, a media type it
//! refuses) and then close its end of the connection. Writing on would fail with a broken
//! pipe, and the client would give up before reading the answer already waiting on the
//! socket. So once the daemon has closed its end, writes are taken as done without sending
//! anything and the request body is no longer read: the connection goes on only to read the
//! daemon's answer.

use std::io::{self, IoSlice};
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::UnixStream;

/// Set once the daemon has closed its end of a connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct Closed(Arc<AtomicBool>);

impl Closed {
    fn set(&self) {
        self.0.store(true, Ordering::Release);
    }

    fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Whether `e` says the other end of a Unix socket has closed: a broken pipe, or a reset
/// when it closed with bytes of ours still unread.
fn peer_closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

/// A connection to the daemon that, once the daemon has closed its end, takes writes as done
/// and reads to the end of what the daemon sent before closing.
#[derive(Debug)]
pub(crate) struct Socket {
    stream: UnixStream,
    closed: Closed,
}

impl Socket {
    /// Connects to the daemon listening on `path`.
    pub(crate) async fn connect(path: &Path) -> io::Result<Socket> {
        Ok(Socket {
            stream: UnixStream::connect(path).await?,
            closed: Closed::default(),
        })
    }

    /// The flag this connection sets when the daemon closes its end.
    pub(crate) fn closed(&self) -> Closed {
        self.closed.clone()
    }

    /// The outcome of writing `len` bytes: all of them when the daemon has closed its end.
    fn written(&self, outcome: Poll<io::Result<usize>>, len: usize) -> Poll<io::Result<usize>> {
        match outcome {
            Poll::Ready(Err(e)) if peer_closed(&e) => {
                self.closed.set();
                Poll::Ready(Ok(len))
            }
            other => other,
        }
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            // A reset comes only after every byte the daemon sent has been read: it is the end.
            Poll::Ready(Err(e)) if peer_closed(&e) => {
                this.closed.set();
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.closed.is_set() {
            return Poll::Ready(Ok(buf.len()));
        }
        let outcome = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.written(outcome, buf.len())
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let len = bufs.iter().map(|b| b.len()).sum();
        if this.closed.is_set() {
            return Poll::Ready(Ok(len));
        }
        let outcome = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.written(outcome, len)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.closed.is_set() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.closed.is_set() {
            return Poll::Ready(Ok(()));
        }
        match Pin::new(&mut this.stream).poll_shutdown(cx) {
            Poll::Ready(Err(e)) if peer_closed(&e) || e.kind() == io::ErrorKind::NotConnected => {
                this.closed.set();
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

/// A request body that is no longer read once the daemon has closed its end of the
/// connection: the rest would go nowhere. It then never ends, and the connection is driven
/// by the daemon's answer alone.
#[derive(Debug)]
pub(crate) struct UntilClosed<B> {
    body: B,
    closed: Closed,
}

impl<B> UntilClosed<B> {
    /// `body`, read until `closed` is set.
    pub(crate) fn new(body: B, closed: Closed) -> Self {
        UntilClosed { body, closed }
    }
}

impl<B: Body + Unpin> Body for UntilClosed<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        if this.closed.is_set() {
            return Poll::Pending;
        }
        Pin::new(&mut this.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
