//! Column custody: which peers keep which columns.
//!
//! Only storage peers custody: a light peer never advertises the request protocol, so it is
//! never among the peers given here (see [`crate::NetHandle::storage_peers`]).
//!
//! Each column index is its own subnet. The custodians of column `c` are the `replicas` peers
//! with the smallest `BLAKE3(peer id ‖ c)` among the peers known (rendezvous hashing), so any
//! node that knows the same peers computes the same custodians, every column gets exactly
//! `replicas` of them (when that many peers exist), and a peer joining or leaving moves only
//! the columns whose top choices it changes.

use std::collections::BTreeMap;

use datanet_protocol::hash::{Domain, Hasher};
use libp2p::PeerId;

use crate::PeerScores;

/// The peers of one contribution's ingest, this node included, as known when it began: so
/// the columns this node stores while committing and those it pushes while dispersing follow
/// the same custody.
#[derive(Debug, Clone)]
pub struct CustodySet {
    /// This node.
    pub local: PeerId,
    /// Every peer known, this node included.
    pub peers: Vec<PeerId>,
    /// Custodians per column.
    pub replicas: usize,
}

/// Who keeps which column of a square of one width: this node's columns and every other
/// peer's.
#[derive(Debug, Clone, Default)]
pub struct Assignment {
    /// The columns this node custodies.
    pub own: Vec<u16>,
    /// The columns each other peer custodies.
    pub others: BTreeMap<PeerId, Vec<u16>>,
}

impl CustodySet {
    /// The custody of a `width`-wide square, every column's custodians computed once.
    pub fn assign(&self, width: usize) -> Assignment {
        let mut assignment = Assignment::default();
        for c in 0..width as u16 {
            for peer in custodians(&self.peers, c, self.replicas) {
                if peer == self.local {
                    assignment.own.push(c);
                } else {
                    assignment.others.entry(peer).or_default().push(c);
                }
            }
        }
        assignment
    }
}

/// Each peer's columns cut into batches of at most `size`, one request each.
pub fn in_batches(
    columns: impl IntoIterator<Item = (PeerId, Vec<u16>)>,
    size: usize,
) -> Vec<(PeerId, Vec<u16>)> {
    columns
        .into_iter()
        .flat_map(|(peer, columns)| {
            columns
                .chunks(size)
                .map(|batch| (peer, batch.to_vec()))
                .collect::<Vec<_>>()
        })
        .collect()
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

/// The peers to ask for column `index` among the storage `peers`: its custodians, then every
/// other peer, each group best score first; never `local`.
pub fn candidates(
    scores: &PeerScores,
    local: PeerId,
    peers: &[PeerId],
    index: u16,
    replicas: usize,
) -> Vec<PeerId> {
    let preferred: Vec<PeerId> = custodians(peers, index, replicas)
        .into_iter()
        .filter(|p| *p != local)
        .collect();
    let others: Vec<PeerId> = peers
        .iter()
        .filter(|p| **p != local && !preferred.contains(p))
        .copied()
        .collect();
    let mut ranked = scores.rank(preferred);
    ranked.extend(scores.rank(others));
    ranked
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
        let Assignment { own, others } = set.assign(64);
        assert!(!others.contains_key(&peers[2]));
        for c in 0..64u16 {
            let holders = others.values().filter(|cols| cols.contains(&c)).count()
                + usize::from(own.contains(&c));
            assert_eq!(holders, 2, "column {c}");
            assert_eq!(own.contains(&c), is_custodian(&peers, &peers[2], c, 2));
        }
    }

    #[test]
    fn candidates_put_custodians_first_best_score_first_and_never_the_asker() {
        let peers: Vec<PeerId> = (0..5).map(|_| PeerId::random()).collect();
        let scores = PeerScores::default();
        let custody = custodians(&peers, 7, 2);
        let local = custody[0];
        let other_custodian = custody[1];
        let stranger = *peers.iter().find(|p| !custody.contains(p)).unwrap();
        scores.record(stranger, true);
        let ranked = candidates(&scores, local, &peers, 7, 2);
        assert_eq!(ranked.len(), 4);
        assert!(!ranked.contains(&local));
        assert_eq!(
            ranked[0], other_custodian,
            "a custodian before any stranger"
        );
        assert_eq!(
            ranked[1], stranger,
            "the best-scored stranger first among strangers"
        );
        scores.record(other_custodian, false);
        assert_eq!(candidates(&scores, local, &peers, 7, 2)[0], other_custodian);
    }

    #[test]
    fn batches_keep_every_column_of_every_peer_in_order_and_bounded() {
        let (a, b) = (PeerId::random(), PeerId::random());
        let batches = in_batches([(a, (0..5).collect()), (b, vec![9])], 2);
        assert_eq!(
            batches,
            vec![(a, vec![0, 1]), (a, vec![2, 3]), (a, vec![4]), (b, vec![9])]
        );
    }
}
