//! The request-response codec: one length-prefixed frame per message, refused before reading
//! when the declared length exceeds the message's limit, and decoded totally. Frames being
//! read, from every peer together, never hold more than [`READ_BUDGET`] bytes: a frame waits
//! for room before its buffer is allocated (and gives up with its stream's timeout).

use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use datanet_protocol::encoding::{Decode, Encode};
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use tokio::sync::Semaphore;

use datanet_protocol::wire::{Request, Response, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES};

use crate::NetStats;

/// The protocol name negotiated on each stream.
pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/datanet/req/1");

/// The most bytes of frames being read at once, from all peers: 31 of the largest frames.
/// Without it, every one of up to 256 streams per connection could hold a frame of up to
/// [`MAX_REQUEST_BYTES`] while its sender trickles it in.
pub const READ_BUDGET: usize = 256 << 20;

/// Frames [`Request`]s and [`Response`]s, counting frames that are refused. Clones share the
/// read budget (libp2p clones the codec for every stream).
#[derive(Debug, Clone)]
pub struct DatanetCodec {
    stats: Arc<NetStats>,
    reading: Arc<Semaphore>,
}

impl Default for DatanetCodec {
    /// A codec with its own counters, within [`READ_BUDGET`].
    fn default() -> Self {
        Self::new(Arc::default())
    }
}

impl DatanetCodec {
    /// A codec that counts refused frames in `stats`, within [`READ_BUDGET`].
    pub fn new(stats: Arc<NetStats>) -> Self {
        Self::with_budget(stats, READ_BUDGET)
    }

    /// A codec whose frames being read never hold more than `budget` bytes together.
    fn with_budget(stats: Arc<NetStats>, budget: usize) -> Self {
        DatanetCodec {
            stats,
            reading: Arc::new(Semaphore::new(budget.div_ceil(BUDGET_UNIT))),
        }
    }

    /// Counts a refused frame and passes its error on.
    fn refused<T>(&self, result: io::Result<T>) -> io::Result<T> {
        if result.is_err() {
            self.stats.invalid_messages.fetch_add(1, Ordering::Relaxed);
        }
        result
    }
}

/// The read budget is counted in KiB.
const BUDGET_UNIT: usize = 1024;

async fn read_frame<T, M>(io: &mut T, limit: usize, budget: &Semaphore) -> io::Result<M>
where
    T: AsyncRead + Unpin + Send,
    M: Decode,
{
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("message of {len} bytes exceeds the limit of {limit}"),
        ));
    }
    let units = u32::try_from(len.div_ceil(BUDGET_UNIT)).unwrap_or(u32::MAX);
    let _room = budget
        .acquire_many(units)
        .await
        .map_err(|_| io::Error::other("the read budget is closed"))?;
    let mut buf = vec![0u8; len];
    io.read_exact(&mut buf).await?;
    M::from_shared(&Bytes::from(buf)).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

async fn write_frame<T, M>(io: &mut T, message: &M, limit: usize) -> io::Result<()>
where
    T: AsyncWrite + Unpin + Send,
    M: Encode,
{
    let bytes = message.to_bytes();
    if bytes.len() > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "message of {} bytes exceeds the limit of {limit}",
                bytes.len()
            ),
        ));
    }
    io.write_all(&(bytes.len() as u32).to_be_bytes()).await?;
    io.write_all(&bytes).await?;
    io.close().await
}

impl libp2p::request_response::Codec for DatanetCodec {
    type Protocol = StreamProtocol;
    type Request = Request;
    type Response = Response;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Request>
    where
        T: AsyncRead + Unpin + Send,
    {
        let request = read_frame(io, MAX_REQUEST_BYTES, &self.reading).await;
        self.refused(request)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Response>
    where
        T: AsyncRead + Unpin + Send,
    {
        let response = read_frame(io, MAX_RESPONSE_BYTES, &self.reading).await;
        self.refused(response)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Request,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &req, MAX_REQUEST_BYTES).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Response,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &res, MAX_RESPONSE_BYTES).await
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::Duration;

    use datanet_protocol::ContributionId;
    use futures::io::Cursor;

    use super::*;

    /// A peer that sends `bytes` and then nothing more, leaving its frame unfinished.
    struct Trickle(Cursor<Vec<u8>>);

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            let cursor = &mut self.0;
            if cursor.position() == cursor.get_ref().len() as u64 {
                return Poll::Pending;
            }
            Pin::new(cursor).poll_read(cx, buf)
        }
    }

    fn frame(request: &Request) -> Vec<u8> {
        let body = request.to_bytes();
        [(body.len() as u32).to_be_bytes().to_vec(), body].concat()
    }

    #[tokio::test]
    async fn a_frame_waits_while_unfinished_frames_hold_the_read_budget() {
        let codec = DatanetCodec::with_budget(Arc::default(), 2 * BUDGET_UNIT);
        let request = Request::GetManifest(ContributionId::default());
        let unfinished = |declared: u32| {
            let mut bytes = declared.to_be_bytes().to_vec();
            bytes.extend_from_slice(&[0; 10]);
            Trickle(Cursor::new(bytes))
        };
        let (mut first, mut second) = (unfinished(1500), unfinished(100));
        let holding = (
            read_frame::<_, Request>(&mut first, MAX_REQUEST_BYTES, &codec.reading),
            read_frame::<_, Request>(&mut second, MAX_REQUEST_BYTES, &codec.reading),
        );
        let mut holding = Box::pin(futures::future::join(holding.0, holding.1));
        assert!(futures::poll!(holding.as_mut()).is_pending());

        let mut complete = Cursor::new(frame(&request));
        let read = read_frame::<_, Request>(&mut complete, MAX_REQUEST_BYTES, &codec.reading);
        let mut read = Box::pin(read);
        let waited = tokio::time::timeout(Duration::from_millis(200), read.as_mut()).await;
        assert!(
            waited.is_err(),
            "no room while two unfinished frames hold it"
        );
        drop(holding);
        let decoded = tokio::time::timeout(Duration::from_secs(5), read).await;
        assert_eq!(
            decoded.expect("room once they are dropped").unwrap(),
            request
        );
    }
}
