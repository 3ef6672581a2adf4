//! Column custody: which peers keep which columns.
//!
//! Each column index is its own subnet. The custodians of column `c` are the `replicas` peers
//! with the smallest `BLAKE3(peer id ‖ c)` among the peers known (rendezvous hashing), so any
//! node that knows the same peers computes the same custodians, every column gets exactly
//! `replicas` of them (when that many peers exist), and a peer joining or leaving moves only
//! the columns whose top choices it changes.

use std::collections::BTreeMap;

use datanet_protocol::hash::{Domain, Hasher};
use libp2p::PeerId;

/// The peers of one contribution's ingest, this node included, as known when it began: so
/// the columns this node stores while committing and those it pushes while dispersing follow
/// the same custody.
#[derive(Debug, Clone)]
pub(crate) struct CustodySet {
    /// This node.
    pub(crate) local: PeerId,
    /// Every peer known, this node included.
    pub(crate) peers: Vec<PeerId>,
    /// Custodians per column.
    pub(crate) replicas: usize,
}

impl CustodySet {
    /// The columns of a `width`-wide square that this node custodies.
    pub(crate) fn own(&self, width: usize) -> Vec<u16> {
        (0..width as u16)
            .filter(|c| is_custodian(&self.peers, &self.local, *c, self.replicas))
            .collect()
    }

    /// The columns of a `width`-wide square that each other peer custodies.
    pub(crate) fn others(&self, width: usize) -> BTreeMap<PeerId, Vec<u16>> {
        let mut columns: BTreeMap<PeerId, Vec<u16>> = BTreeMap::new();
        for c in 0..width as u16 {
            for peer in custodians(&self.peers, c, self.replicas) {
                if peer != self.local {
                    columns.entry(peer).or_default().push(c);
                }
            }
        }
        columns
    }
}

/// The custodians of column `index`, best first, among `peers`.
pub fn custodians(peers: &[PeerId], index: u16, replicas: usize) -> Vec<PeerId> {
    let mut ranked: Vec<(datanet_protocol::Hash, PeerId)> = peers
        .iter()
        .map(|p| {
            let mut h = Hasher::new(Domain::HashLeaf);
            h.update(b"custody")
                .update(&p.to_bytes())
                .update(&index.to_be_bytes());
            (h.finalize(), *p)
        })
        .collect();
    ranked.sort();
    ranked.dedup_by_key(|(_, p)| *p);
    ranked.into_iter().take(replicas).map(|(_, p)| p).collect()
}

/// Whether `peer` custodies column `index` among `peers`.
pub fn is_custodian(peers: &[PeerId], peer: &PeerId, index: u16, replicas: usize) -> bool {
    custodians(peers, index, replicas).contains(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_gets_exactly_the_replicas_and_all_peers_agree() {
        let peers: Vec<PeerId> = (0..6).map(|_| PeerId::random()).collect();
        let mut shuffled = peers.clone();
        shuffled.reverse();
        let mut load = vec![0usize; peers.len()];
        for c in 0..256u16 {
            let chosen = custodians(&peers, c, 2);
            assert_eq!(chosen.len(), 2);
            assert_eq!(chosen, custodians(&shuffled, c, 2));
            for p in chosen {
                load[peers.iter().position(|q| *q == p).unwrap()] += 1;
            }
        }
        assert!(load.iter().all(|l| *l > 40), "uneven custody load {load:?}");
        assert_eq!(custodians(&peers[..1], 0, 2).len(), 1);
    }

    #[test]
    fn own_and_other_columns_split_every_custody() {
        let peers: Vec<PeerId> = (0..4).map(|_| PeerId::random()).collect();
        let set = CustodySet {
            local: peers[2],
            peers: peers.clone(),
            replicas: 2,
        };
        let own = set.own(64);
        let others = set.others(64);
        assert!(!others.contains_key(&peers[2]));
        for c in 0..64u16 {
            let holders = others.values().filter(|cols| cols.contains(&c)).count()
                + usize::from(own.contains(&c));
            assert_eq!(holders, 2, "column {c}");
            assert_eq!(own.contains(&c), is_custodian(&peers, &peers[2], c, 2));
        }
    }
}
