//! The peer book: peers seen, their addresses and when they were last seen.

use datanet_protocol::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};

use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

/// The longest peer id, in bytes (a multihash of an ed25519 key is 38).
const MAX_PEER_ID: usize = 64;
/// The most addresses kept per peer.
const MAX_ADDRESSES: usize = 16;
/// The longest address, in bytes.
const MAX_ADDRESS: usize = 256;

/// What the node remembers about a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRecord {
    /// The peer's id, as bytes.
    pub peer_id: Vec<u8>,
    /// Addresses it was reached at, as multiaddr strings.
    pub addresses: Vec<String>,
    /// When it was last seen, milliseconds since the Unix epoch.
    pub last_seen_ms: u64,
}

impl Encode for PeerRecord {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        out.bytes(&self.peer_id);
        out.u32(self.addresses.len() as u32);
        for address in &self.addresses {
            out.str(address);
        }
        out.u64(self.last_seen_ms);
    }
}

impl Decode for PeerRecord {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("peer record version")?;
        let peer_id = r.bytes(MAX_PEER_ID, "peer id")?.to_vec();
        let count = r.len(MAX_ADDRESSES, "addresses")?;
        let mut addresses = Vec::with_capacity(count);
        for _ in 0..count {
            addresses.push(r.str(MAX_ADDRESS, "address")?);
        }
        Ok(PeerRecord {
            peer_id,
            addresses,
            last_seen_ms: r.u64("last seen")?,
        })
    }
}

impl Store {
    /// Records a peer, replacing what was known of it.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when the record exceeds its bounds, or an engine error.
    pub fn put_peer(&self, peer: &PeerRecord) -> Result<(), StoreError> {
        let too_big = peer.peer_id.is_empty()
            || peer.peer_id.len() > MAX_PEER_ID
            || peer.addresses.len() > MAX_ADDRESSES
            || peer.addresses.iter().any(|a| a.len() > MAX_ADDRESS);
        if too_big {
            return Err(StoreError::Invalid("peer record exceeds its bounds".into()));
        }
        self.commit(vec![Op::Put(
            key(Kind::Peer, &[&peer.peer_id]),
            peer.to_bytes(),
        )])
    }

    /// Every known peer.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn peers(&self) -> Result<Vec<PeerRecord>, StoreError> {
        Ok(self
            .scan(Kind::Peer, &[], "peer")?
            .into_iter()
            .map(|(_, p)| p)
            .collect())
    }

    /// Forgets a peer.
    ///
    /// # Errors
    /// An engine error.
    pub fn remove_peer(&self, peer_id: &[u8]) -> Result<(), StoreError> {
        self.commit(vec![Op::Delete(key(Kind::Peer, &[peer_id]))])
    }
}
