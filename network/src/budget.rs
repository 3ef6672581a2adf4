//! A byte budget for inbound requests between their arrival and their answer: a request that
//! would take it over is refused as busy instead of queued, so what peers can make a node hold
//! is bounded by bytes, not only by a count of requests of up to 8 MiB each.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The most bytes of inbound requests queued for the server or being answered.
pub(crate) const INBOUND_BYTES: usize = 256 << 20;

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

#[cfg(test)]
mod tests {
    use super::*;

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
