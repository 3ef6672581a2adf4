//! A byte budget for inbound requests between their arrival and their answer: a request that
//! would take it over is refused as busy instead of queued, so what peers can make a node hold
//! is bounded by bytes, not only by a count of requests of up to 8 MiB each.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use libp2p::PeerId;

/// The most bytes of inbound requests queued for the server or being answered.
pub(crate) const INBOUND_BYTES: usize = 256 << 20;
/// The most of [`INBOUND_BYTES`] one peer's requests may hold (64 MiB: eight full pushes), so
/// one peer cannot take the whole budget and starve the others.
pub(crate) const PEER_INBOUND_BYTES: usize = INBOUND_BYTES / 4;

/// Bytes of the requests admitted and not yet answered, shared by whoever admits them and
/// whoever answers them.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    used: Arc<AtomicUsize>,
    limit: usize,
}

impl Budget {
    /// A budget of `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        Budget {
            used: Arc::default(),
            limit,
        }
    }

    /// Reserves `bytes` if they fit in what is left; the reservation lasts as long as the
    /// returned guard.
    pub(crate) fn admit(&self, bytes: usize) -> Option<Held> {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .ok()?;
        Some(Held {
            used: Arc::clone(&self.used),
            bytes,
        })
    }
}

/// Bytes reserved in a [`Budget`], given back when dropped.
#[derive(Debug)]
pub(crate) struct Held {
    used: Arc<AtomicUsize>,
    bytes: usize,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// The inbound byte budget of the whole node and each peer's share of it.
#[derive(Debug)]
pub(crate) struct PeerBudgets {
    node: Budget,
    share: usize,
    peers: HashMap<PeerId, Budget>,
}

/// A request's reservation in its peer's share and in the node's budget.
#[derive(Debug)]
pub(crate) struct HeldBoth {
    _peer: Held,
    _node: Held,
}

impl PeerBudgets {
    /// A node budget of `limit` bytes, of which one peer may hold `share`.
    pub(crate) fn new(limit: usize, share: usize) -> Self {
        PeerBudgets {
            node: Budget::new(limit),
            share,
            peers: HashMap::new(),
        }
    }

    /// Reserves `bytes` for a request of `peer` if they fit both its share and the node's
    /// budget; `Err` says which was full.
    pub(crate) fn admit(&mut self, peer: PeerId, bytes: usize) -> Result<HeldBoth, &'static str> {
        let share = self.share;
        let own = self
            .peers
            .entry(peer)
            .or_insert_with(|| Budget::new(share))
            .admit(bytes)
            .ok_or("this peer has too many request bytes in flight")?;
        let node = self
            .node
            .admit(bytes)
            .ok_or("too many request bytes in flight")?;
        Ok(HeldBoth {
            _peer: own,
            _node: node,
        })
    }

    /// Forgets a peer that disconnected (its requests still in flight keep their bytes
    /// until answered).
    pub(crate) fn forget(&mut self, peer: &PeerId) {
        self.peers.remove(peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_peer_cannot_take_more_than_its_share_and_others_are_still_admitted() {
        let mut budgets = PeerBudgets::new(100, 40);
        let (greedy, other) = (PeerId::random(), PeerId::random());
        let held: Vec<HeldBoth> = (0..4).map(|_| budgets.admit(greedy, 10).unwrap()).collect();
        assert_eq!(
            budgets.admit(greedy, 1).unwrap_err(),
            "this peer has too many request bytes in flight"
        );
        let others: Vec<HeldBoth> = (0..4).map(|_| budgets.admit(other, 10).unwrap()).collect();
        let third = PeerId::random();
        let last = budgets.admit(third, 20).unwrap();
        assert_eq!(
            budgets.admit(third, 1).unwrap_err(),
            "too many request bytes in flight"
        );
        drop((held, last));
        assert!(
            budgets.admit(greedy, 40).is_ok(),
            "answered requests free the share"
        );
        drop(others);
    }

    #[test]
    fn a_request_that_would_overrun_the_budget_is_refused_until_others_are_answered() {
        let budget = Budget::new(100);
        let first = budget.admit(60).expect("fits");
        let second = budget.admit(40).expect("fits exactly");
        assert!(budget.admit(1).is_none());
        drop(first);
        assert!(budget.admit(61).is_none());
        let third = budget.admit(60).expect("room again");
        drop((second, third));
        assert!(budget.admit(100).is_some());
        assert!(budget.admit(usize::MAX).is_none());
    }
}
