//! The request-response codec: one length-prefixed frame per message, refused before reading
//! when the declared length exceeds the message's limit, and decoded totally.

use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use datanet_protocol::encoding::{Decode, Encode};
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

use super::wire::{Request, Response, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES};
use super::NetStats;

/// The protocol name negotiated on each stream.
pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/datanet/req/1");

/// Frames [`Request`]s and [`Response`]s, counting frames that are refused.
#[derive(Debug, Clone, Default)]
pub struct DatanetCodec {
    stats: Arc<NetStats>,
}

impl DatanetCodec {
    /// A codec that counts refused frames in `stats`.
    pub fn new(stats: Arc<NetStats>) -> Self {
        DatanetCodec { stats }
    }

    /// Counts a refused frame and passes its error on.
    fn refused<T>(&self, result: io::Result<T>) -> io::Result<T> {
        if result.is_err() {
            self.stats.invalid_messages.fetch_add(1, Ordering::Relaxed);
        }
        result
    }
}

async fn read_frame<T, M>(io: &mut T, limit: usize) -> io::Result<M>
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
        let request = read_frame(io, MAX_REQUEST_BYTES).await;
        self.refused(request)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Response>
    where
        T: AsyncRead + Unpin + Send,
    {
        let response = read_frame(io, MAX_RESPONSE_BYTES).await;
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
