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
//!
//! Small squares get more custodians per column ([`column_replicas`]): a square of width `2k`
//! is lost when more than `k` of its columns are, which for large `k` takes most of the
//! network gone, but for `k = 1` only the loss of one column's few custodians and the
//! other's. Each square's columns get as many custodians as it takes for the square to
//! outlive the loss of half of the storage peers as surely as a large square does.

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
            for peer in custodians(&self.peers, width, c, self.replicas) {
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

/// The fraction of storage peers a square of any size must outlive: each peer taken to be
/// gone with this probability, independently.
const PEERS_LOST: f64 = 0.5;
/// The most a square may be likely to be lost when [`PEERS_LOST`] of the peers are gone. A
/// square of `k >= 32` meets it with 2 custodians per column.
const LOSS_BOUND: f64 = 1e-4;
/// The most custodians per column any square is given.
const MAX_COLUMN_REPLICAS: usize = 16;

/// The custodians per column of a square `width` columns wide, for a network configured with
/// `replicas`: `replicas`, raised for small squares until the square outlives the loss of
/// [`PEERS_LOST`] of the peers with probability at least `1 -` [`LOSS_BOUND`] (a column is
/// lost when all its custodians are; the square when more than half its columns are).
/// With `replicas = 2` that gives 7 custodians per column at `k = 1`, 6 at `k = 2`, 4 at
/// `k = 4`, 3 at `k = 8` and `k = 16`, and 2 from `k = 32`.
pub fn column_replicas(width: usize, replicas: usize) -> usize {
    let mut chosen = replicas.max(1);
    while chosen < MAX_COLUMN_REPLICAS && loss_probability(width, chosen) > LOSS_BOUND {
        chosen += 1;
    }
    chosen
}

/// The probability that more than half of `width` columns, each held by `replicas`
/// custodians, lose every custodian when each peer is gone with probability [`PEERS_LOST`].
fn loss_probability(width: usize, replicas: usize) -> f64 {
    let column_lost = PEERS_LOST.powi(replicas as i32);
    let needed = width / 2;
    let mut total = 0.0;
    let mut term = (1.0 - column_lost).powi(width as i32);
    for lost in 0..=width {
        if lost > width - needed {
            total += term;
        }
        term *= (width - lost) as f64 / (lost + 1) as f64 * column_lost / (1.0 - column_lost);
    }
    total
}

/// The custodians of column `index` of a square `width` columns wide, best first, among
/// `peers`: [`column_replicas`] of them.
pub fn custodians(peers: &[PeerId], width: usize, index: u16, replicas: usize) -> Vec<PeerId> {
    let replicas = column_replicas(width, replicas);
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

/// Whether `peer` custodies column `index` of a square `width` columns wide among `peers`.
pub fn is_custodian(
    peers: &[PeerId],
    peer: &PeerId,
    width: usize,
    index: u16,
    replicas: usize,
) -> bool {
    custodians(peers, width, index, replicas).contains(peer)
}

/// The peers to ask for column `index` of a square `width` columns wide among the storage
/// `peers`: its custodians, then every other peer, each group best score first; never `local`.
pub fn candidates(
    scores: &PeerScores,
    local: PeerId,
    peers: &[PeerId],
    (width, index): (usize, u16),
    replicas: usize,
) -> Vec<PeerId> {
    let preferred: Vec<PeerId> = custodians(peers, width, index, replicas)
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
            let chosen = custodians(&peers, 256, c, 2);
            assert_eq!(chosen.len(), 2);
            assert_eq!(chosen, custodians(&shuffled, 256, c, 2));
            for p in chosen {
                load[peers.iter().position(|q| *q == p).unwrap()] += 1;
            }
        }
        assert!(load.iter().all(|l| *l > 40), "uneven custody load {load:?}");
        assert_eq!(custodians(&peers[..1], 256, 0, 2).len(), 1);
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
            assert_eq!(own.contains(&c), is_custodian(&peers, &peers[2], 64, c, 2));
        }
    }

    #[test]
    fn candidates_put_custodians_first_best_score_first_and_never_the_asker() {
        let peers: Vec<PeerId> = (0..5).map(|_| PeerId::random()).collect();
        let scores = PeerScores::default();
        let custody = custodians(&peers, 256, 7, 2);
        let local = custody[0];
        let other_custodian = custody[1];
        let stranger = *peers.iter().find(|p| !custody.contains(p)).unwrap();
        scores.record(stranger, true);
        let ranked = candidates(&scores, local, &peers, (256, 7), 2);
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
        assert_eq!(
            candidates(&scores, local, &peers, (256, 7), 2)[0],
            other_custodian
        );
    }

    #[test]
    fn small_squares_get_more_custodians_per_column_until_they_are_as_safe_as_large_ones() {
        let chosen: Vec<usize> = [2, 4, 8, 16, 32, 64, 128, 256]
            .into_iter()
            .map(|width| column_replicas(width, 2))
            .collect();
        assert_eq!(chosen, [7, 6, 4, 3, 3, 2, 2, 2]);
        assert_eq!(column_replicas(256, 5), 5, "never fewer than configured");
        assert_eq!(
            column_replicas(2, 0),
            7,
            "at least one custodian to start from"
        );
        assert!(loss_probability(256, 2) < LOSS_BOUND);
        assert!(
            loss_probability(2, 2) > 0.06,
            "one column of two, 2 custodians each"
        );
    }

    /// How many of `trials` squares `width` columns wide are lost when a different half of 20
    /// storage peers is gone in each trial.
    fn squares_lost_with_half_the_peers_gone(width: usize, trials: u32) -> u32 {
        let peers: Vec<PeerId> = (0..20u8)
            .map(|i| {
                libp2p::identity::Keypair::ed25519_from_bytes([i + 1; 32])
                    .unwrap()
                    .public()
                    .to_peer_id()
            })
            .collect();
        let k = width / 2;
        let mut lost = 0;
        for trial in 0..trials {
            let mut order: Vec<(datanet_protocol::Hash, PeerId)> = peers
                .iter()
                .map(|p| {
                    let mut h = Hasher::new(Domain::HashLeaf);
                    h.update(&trial.to_be_bytes()).update(&p.to_bytes());
                    (h.finalize(), *p)
                })
                .collect();
            order.sort();
            let gone: Vec<PeerId> = order[..10].iter().map(|(_, p)| *p).collect();
            let surviving = (0..width as u16)
                .filter(|c| {
                    custodians(&peers, width, *c, 2)
                        .iter()
                        .any(|p| !gone.contains(p))
                })
                .count();
            lost += u32::from(surviving < k);
        }
        lost
    }

    #[test]
    fn squares_of_every_size_outlive_the_loss_of_half_the_peers() {
        for width in [2, 4, 8, 16, 128] {
            let lost = squares_lost_with_half_the_peers_gone(width, 2000);
            assert!(lost <= 4, "{lost} of 2000 squares {width} wide lost");
        }
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
