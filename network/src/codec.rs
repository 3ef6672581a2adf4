//! The request-response codec: one length-prefixed frame per message, refused before reading
//! when the declared length exceeds the message's limit, and decoded totally. Frames being
//! read, from every peer together, never hold more than [`READ_BUDGET`] bytes, and request
//! frames from one connection never more than [`CONNECTION_READ_BUDGET`]: a frame waits for
//! room in both before its buffer is allocated (and gives up with its stream's timeout).

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

/// The most bytes of request frames being read at once from one connection: an eighth of
/// [`READ_BUDGET`] (three of the largest frames), so a peer, with at most two connections,
/// holds at most a quarter of it however many frames it starts and however slowly it sends
/// them, and the rest stays for everyone else.
pub const CONNECTION_READ_BUDGET: usize = READ_BUDGET / 8;

const _: () = assert!(CONNECTION_READ_BUDGET >= MAX_REQUEST_BYTES);

/// Frames [`Request`]s and [`Response`]s, counting frames that are refused.
///
/// libp2p's request-response behaviour keeps one codec, clones it for every connection it
/// sets up, and clones that connection's codec for every stream. Clones share the node's
/// read budget; a clone of the behaviour's codec starts a new connection share, which the
/// clones made from it (that connection's streams) share.
#[derive(Debug)]
pub struct DatanetCodec {
    stats: Arc<NetStats>,
    reading: Arc<Semaphore>,
    /// This connection's share of the budget for request frames; `None` on the behaviour's
    /// own codec, which reads nothing.
    connection: Option<Arc<Semaphore>>,
    /// The size of a connection's share, in [`BUDGET_UNIT`]s.
    connection_units: usize,
}

impl Clone for DatanetCodec {
    /// The codec of a new connection when cloned from the behaviour's, else another stream's
    /// codec on the same connection.
    fn clone(&self) -> Self {
        let connection = match &self.connection {
            Some(share) => Arc::clone(share),
            None => Arc::new(Semaphore::new(self.connection_units)),
        };
        DatanetCodec {
            stats: Arc::clone(&self.stats),
            reading: Arc::clone(&self.reading),
            connection: Some(connection),
            connection_units: self.connection_units,
        }
    }
}

impl Default for DatanetCodec {
    /// A codec with its own counters, within [`READ_BUDGET`] and [`CONNECTION_READ_BUDGET`].
    fn default() -> Self {
        Self::new(Arc::default())
    }
}

impl DatanetCodec {
    /// A codec that counts refused frames in `stats`, within [`READ_BUDGET`] and
    /// [`CONNECTION_READ_BUDGET`].
    pub fn new(stats: Arc<NetStats>) -> Self {
        Self::with_budget(stats, READ_BUDGET, CONNECTION_READ_BUDGET)
    }

    /// A codec whose frames being read never hold more than `budget` bytes together, nor
    /// one connection's request frames more than `per_connection`.
    fn with_budget(stats: Arc<NetStats>, budget: usize, per_connection: usize) -> Self {
        DatanetCodec {
            stats,
            reading: Arc::new(Semaphore::new(budget.div_ceil(BUDGET_UNIT))),
            connection: None,
            connection_units: per_connection.div_ceil(BUDGET_UNIT),
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

/// Reads one frame of at most `limit` bytes, holding room for it in each of `budgets` (taken
/// in order) from the moment its length is known until it is decoded; the message and the
/// bytes read.
async fn read_frame<T, M>(
    io: &mut T,
    limit: usize,
    budgets: &[&Semaphore],
) -> io::Result<(M, usize)>
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
    let mut room = Vec::with_capacity(budgets.len());
    for budget in budgets {
        let held = budget
            .acquire_many(units)
            .await
            .map_err(|_| io::Error::other("the read budget is closed"))?;
        room.push(held);
    }
    let mut buf = vec![0u8; len];
    io.read_exact(&mut buf).await?;
    let message = M::from_shared(&Bytes::from(buf))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok((message, 4 + len))
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
        let request = match &self.connection {
            Some(share) => read_frame(io, MAX_REQUEST_BYTES, &[share, &self.reading]).await,
            None => read_frame(io, MAX_REQUEST_BYTES, &[&self.reading]).await,
        };
        self.refused(request).map(|(request, _)| request)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Response>
    where
        T: AsyncRead + Unpin + Send,
    {
        let response = read_frame(io, MAX_RESPONSE_BYTES, &[&self.reading]).await;
        let (response, bytes) = self.refused(response)?;
        self.stats
            .responses_received_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
        Ok(response)
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

    /// The start of a frame that declares `declared` bytes and sends ten.
    fn unfinished(declared: u32) -> Trickle {
        let mut bytes = declared.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0; 10]);
        Trickle(Cursor::new(bytes))
    }

    #[tokio::test]
    async fn a_connection_holding_its_share_delays_its_own_frames_only() {
        use libp2p::request_response::Codec;

        let behaviours =
            DatanetCodec::with_budget(Arc::default(), 8 * BUDGET_UNIT, 2 * BUDGET_UNIT);
        let (mut flooding, mut other) = (behaviours.clone(), behaviours.clone());
        let mut same = flooding.clone();
        let request = Request::GetManifest(ContributionId::default());
        let protocol = PROTOCOL;

        let mut first = unfinished(2000);
        let mut holding = Box::pin(flooding.read_request(&protocol, &mut first));
        assert!(futures::poll!(holding.as_mut()).is_pending());
        let mut complete = Cursor::new(frame(&request));
        let mut queued = Box::pin(same.read_request(&protocol, &mut complete));
        let waited = tokio::time::timeout(Duration::from_millis(200), queued.as_mut()).await;
        assert!(waited.is_err(), "the connection's share is held");

        let mut elsewhere = Cursor::new(frame(&request));
        let read = other.read_request(&protocol, &mut elsewhere);
        let read = tokio::time::timeout(Duration::from_secs(5), read).await;
        assert_eq!(
            read.expect("another connection is not held up").unwrap(),
            request
        );
        drop(holding);
        let decoded = tokio::time::timeout(Duration::from_secs(5), queued).await;
        assert_eq!(decoded.expect("room once it is dropped").unwrap(), request);
    }

    #[tokio::test]
    async fn a_frame_waits_while_unfinished_frames_hold_the_read_budget() {
        let codec = DatanetCodec::with_budget(Arc::default(), 2 * BUDGET_UNIT, 2 * BUDGET_UNIT);
        let request = Request::GetManifest(ContributionId::default());
        let (mut first, mut second) = (unfinished(1500), unfinished(100));
        let node: [&Semaphore; 1] = [&codec.reading];
        let holding = (
            read_frame::<_, Request>(&mut first, MAX_REQUEST_BYTES, &node),
            read_frame::<_, Request>(&mut second, MAX_REQUEST_BYTES, &node),
        );
        let mut holding = Box::pin(futures::future::join(holding.0, holding.1));
        assert!(futures::poll!(holding.as_mut()).is_pending());

        let mut complete = Cursor::new(frame(&request));
        let read = read_frame::<_, Request>(&mut complete, MAX_REQUEST_BYTES, &node);
        let mut read = Box::pin(read);
        let waited = tokio::time::timeout(Duration::from_millis(200), read.as_mut()).await;
        assert!(
            waited.is_err(),
            "no room while two unfinished frames hold it"
        );
        drop(holding);
        let decoded = tokio::time::timeout(Duration::from_secs(5), read).await;
        let (decoded, bytes) = decoded.expect("room once they are dropped").unwrap();
        assert_eq!(decoded, request);
        assert_eq!(bytes, frame(&request).len());
    }
}
