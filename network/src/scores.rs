//! What each peer's answers have earned it, the counters of what the network refused, and
//! the counters of gossip traffic.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use libp2p::PeerId;

/// What a peer's answers have earned it: valid answers raise the score, invalid ones (bad
/// proofs, corrupted shares, malformed frames) lower it ten times as much. Requests go to
/// better peers first.
#[derive(Debug, Default)]
pub struct PeerScores {
    scores: Mutex<HashMap<PeerId, i64>>,
}

impl PeerScores {
    /// Points for a valid answer.
    pub const VALID: i64 = 1;
    /// Points for an invalid answer.
    pub const INVALID: i64 = -10;

    /// `peer`'s score; unknown peers have 0.
    pub fn get(&self, peer: &PeerId) -> i64 {
        self.lock().get(peer).copied().unwrap_or(0)
    }

    /// Records a valid (`true`) or invalid answer from `peer`.
    pub fn record(&self, peer: PeerId, valid: bool) {
        let delta = if valid { Self::VALID } else { Self::INVALID };
        *self.lock().entry(peer).or_default() += delta;
    }

    /// `peers` ordered best first (stable for equal scores).
    pub fn rank(&self, mut peers: Vec<PeerId>) -> Vec<PeerId> {
        let scores = self.lock();
        peers.sort_by_key(|p| std::cmp::Reverse(scores.get(p).copied().unwrap_or(0)));
        peers
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PeerId, i64>> {
        self.scores.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Counters of what the network dropped or refused and of the gossip it received and
/// published, for metrics and tests.
#[derive(Debug, Default)]
pub struct NetStats {
    /// Inbound requests refused, or verified gossip dropped, because their queue was full.
    pub inbound_dropped: AtomicU64,
    /// Inbound requests or gossip messages that did not decode or verify.
    pub invalid_messages: AtomicU64,
    /// Gossip messages received: each message once, as gossipsub delivers it after dropping
    /// duplicates, whether or not it then verifies.
    pub gossip_received: AtomicU64,
    /// Payload bytes of the gossip messages counted in `gossip_received`.
    pub gossip_received_bytes: AtomicU64,
    /// Gossip messages this node published (its own, not those it forwarded).
    pub gossip_published: AtomicU64,
    /// Payload bytes of the gossip messages counted in `gossip_published`.
    pub gossip_published_bytes: AtomicU64,
    /// Bytes of the responses to this node's requests, as read off the wire (framing
    /// included): what fetching and sampling cost it in download.
    pub responses_received_bytes: AtomicU64,
}

impl NetStats {
    /// Counts one gossip message of `bytes` received.
    pub(crate) fn gossip_in(&self, bytes: usize) {
        self.gossip_received.fetch_add(1, Ordering::Relaxed);
        self.gossip_received_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Counts one gossip message of `bytes` published.
    pub(crate) fn gossip_out(&self, bytes: usize) {
        self.gossip_published.fetch_add(1, Ordering::Relaxed);
        self.gossip_published_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }
}
