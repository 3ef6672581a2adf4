//! Availability sampling over the network: distinct random shares of a square, fetched in one
//! batched request per custodian (other storage peers on failure), each checked against the
//! square's header (whose roots the DA root commits), so no proof needs its column's axis
//! path.

use std::collections::{BTreeMap, BTreeSet};

use datanet_protocol::sampling::{detection_probability, random_coordinates};
use datanet_protocol::wire::MAX_SAMPLES;
use datanet_protocol::{DaRoot, SquareHeader};
use futures::{stream, StreamExt};
use libp2p::PeerId;

use crate::custody::candidates;
use crate::NetHandle;

/// Peers asked at the same time.
const PEERS_IN_FLIGHT: usize = 16;

/// The outcome of sampling one square.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleReport {
    /// The square sampled.
    pub da_root: DaRoot,
    /// Its width `k`.
    pub k: u16,
    /// Samples asked for.
    pub requested: usize,
    /// Samples received with a valid proof.
    pub verified: usize,
    /// Coordinates no peer could answer with a valid share.
    pub failed: Vec<(u16, u16)>,
    /// The probability that a withheld square would have been caught, if every sample
    /// verified; zero otherwise.
    pub confidence: f64,
}

impl SampleReport {
    /// Whether every sample verified: the square is available with [`Self::confidence`].
    pub fn available(&self) -> bool {
        self.failed.is_empty() && self.verified == self.requested
    }
}

/// Samples `count` distinct shares of the square under `header` from the storage peers:
/// each round asks every coordinate still unanswered of its best-ranked candidate peer not
/// yet asked for it, one batched request per peer, so every peer gets its chance however
/// scores move meanwhile.
pub async fn sample(
    net: &NetHandle,
    header: &SquareHeader,
    count: usize,
    replicas: usize,
) -> SampleReport {
    let da_root = header.da_root();
    let k = header.params.k;
    let width = header.params.width();
    let peers = net.members().await.unwrap_or_default();
    let local = net.local_peer_id();
    let mut pending: Vec<((u16, u16), BTreeSet<PeerId>)> =
        random_coordinates(&mut rand::thread_rng(), k, count)
            .into_iter()
            .map(|c| (c, BTreeSet::new()))
            .collect();
    let requested = pending.len();
    for _ in 0..peers.len() {
        let mut asks: BTreeMap<PeerId, Vec<(u16, u16)>> = BTreeMap::new();
        let mut tried: BTreeMap<(u16, u16), BTreeSet<PeerId>> = BTreeMap::new();
        for ((row, col), mut asked) in pending.drain(..) {
            let next = candidates(net.scores(), local, &peers, (width, col), replicas)
                .into_iter()
                .find(|p| !asked.contains(p));
            if let Some(peer) = next {
                asks.entry(peer).or_default().push((row, col));
                asked.insert(peer);
            }
            tried.insert((row, col), asked);
        }
        let answered: Vec<Vec<(u16, u16)>> = stream::iter(asks)
            .map(|(peer, coordinates)| ask(net, peer, header, coordinates))
            .buffer_unordered(PEERS_IN_FLIGHT)
            .collect()
            .await;
        pending = answered
            .into_iter()
            .flatten()
            .map(|c| (c, tried.remove(&c).unwrap_or_default()))
            .collect();
        if pending.is_empty() {
            break;
        }
    }
    let pending: Vec<(u16, u16)> = pending.into_iter().map(|(c, _)| c).collect();
    let verified = requested - pending.len();
    let confidence = if pending.is_empty() {
        detection_probability(u32::from(k), verified as u32)
    } else {
        0.0
    };
    SampleReport {
        da_root,
        k,
        requested,
        verified,
        failed: pending,
        confidence,
    }
}

/// Asks `peer` for `coordinates` of the square under `header`; returns those it did not
/// answer with a valid proof.
async fn ask(
    net: &NetHandle,
    peer: PeerId,
    header: &SquareHeader,
    coordinates: Vec<(u16, u16)>,
) -> Vec<(u16, u16)> {
    let mut unanswered = Vec::new();
    for batch in coordinates.chunks(MAX_SAMPLES) {
        match net.get_samples(peer, header, batch).await {
            Ok(shares) => unanswered.extend(
                batch
                    .iter()
                    .zip(shares)
                    .filter(|(_, share)| share.is_none())
                    .map(|(c, _)| *c),
            ),
            Err(_) => unanswered.extend_from_slice(batch),
        }
    }
    unanswered
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use datanet_protocol::wire::{Request, Response, SampleAnswer};
    use datanet_protocol::{Axis, CodecId, ExtendedSquare};

    use super::*;
    use crate::custody::custodians;
    use crate::test_utils::MockNet;
    use crate::PeerScores;

    /// A square of k = 32 from 400 KB: large enough that each column has the configured 2
    /// custodians, not the more that small squares get.
    fn square() -> ExtendedSquare {
        let data: Vec<u8> = (0..400_000u32).map(|i| (i * 7 + 3) as u8).collect();
        ExtendedSquare::encode(&data, CodecId::RsLeopard).unwrap()
    }

    /// The answer of a peer that holds `square`, with each share flipped when `lie`.
    fn answer(square: &ExtendedSquare, request: &Request, lie: bool) -> Response {
        let Request::GetSamples { coordinates, .. } = request else {
            return Response::NotFound;
        };
        Response::Samples(
            coordinates
                .iter()
                .map(|&(row, col)| {
                    let (row, col) = (usize::from(row), usize::from(col));
                    let mut share = square.share(row, col).unwrap().to_vec();
                    if lie {
                        share[0] ^= 1;
                    }
                    let proof = square.share_proof_via(Axis::Col, row, col).unwrap();
                    SampleAnswer::Found { share, proof }
                })
                .collect(),
        )
    }

    #[tokio::test]
    async fn a_lying_custodian_is_outscored_and_its_coordinates_are_asked_again_elsewhere() {
        let square = square();
        let header = square.header();
        let peers: Vec<PeerId> = (0..3).map(|_| PeerId::random()).collect();
        let width = header.params.width();
        let liar = custodians(&peers, width, 0, 2)[0];
        let honest = square.clone();
        let mock = MockNet::new(peers.clone(), move |peer, request| {
            Ok(answer(&honest, request, peer == liar))
        });
        let every_share = 4 * usize::from(header.params.k).pow(2);
        let report = sample(&mock.handle, &header, every_share, 2).await;
        assert!(report.available(), "{report:?}");
        assert_eq!(report.verified, every_share);
        assert!(report.confidence > 0.0);

        let mut asked: BTreeMap<(u16, u16), Vec<PeerId>> = BTreeMap::new();
        for (peer, request) in mock.requests() {
            let Request::GetSamples { coordinates, .. } = request else {
                panic!("sampling sent {request:?}");
            };
            for c in coordinates {
                asked.entry(c).or_default().push(peer);
            }
        }
        let mut liar_asked = 0;
        for (coordinate, asked) in &asked {
            if asked[0] == liar {
                liar_asked += 1;
                assert_eq!(asked.len(), 2, "{coordinate:?} asked again after a lie");
                assert_ne!(asked[1], liar);
            } else {
                assert_eq!(asked.len(), 1, "{coordinate:?} answered first time");
            }
        }
        assert!(
            liar_asked > 0,
            "the liar is the best custodian of some column"
        );
        let scores = mock.handle.scores();
        assert_eq!(scores.get(&liar), PeerScores::INVALID * liar_asked);
        assert!(peers
            .iter()
            .filter(|p| **p != liar)
            .all(|p| scores.get(p) > 0));
        for (coordinate, asked) in &asked {
            assert!(
                custodians(&peers, width, coordinate.1, 2).contains(&asked[0]),
                "{coordinate:?} asked of a custodian first"
            );
        }
    }

    #[tokio::test]
    async fn peers_that_all_lie_cannot_make_a_square_available_and_all_lose_score() {
        let square = square();
        let header = square.header();
        let peers: Vec<PeerId> = (0..3).map(|_| PeerId::random()).collect();
        let served = square.clone();
        let mock = MockNet::new(peers.clone(), move |_, request| {
            Ok(answer(&served, request, true))
        });
        let report = sample(&mock.handle, &header, 32, 2).await;
        assert!(!report.available(), "{report:?}");
        assert_eq!(report.verified, 0);
        assert_eq!(report.failed.len(), 32);
        assert_eq!(report.confidence, 0.0);
        assert!(peers.iter().all(|p| mock.handle.scores().get(p) < 0));
    }

    #[tokio::test]
    async fn a_square_nobody_serves_is_unavailable_with_no_confidence_after_one_ask_per_peer() {
        let header = square().header();
        let peers: Vec<PeerId> = (0..3).map(|_| PeerId::random()).collect();
        let mock = MockNet::new(peers.clone(), |_, _| Ok(Response::NotFound));
        let report = sample(&mock.handle, &header, 8, 2).await;
        assert!(!report.available());
        assert_eq!(report.failed.len(), 8);
        assert_eq!(report.confidence, 0.0);
        let asked = mock.requests().len();
        assert!(
            asked <= 3 * 3,
            "at most one request per peer per round: {asked}"
        );
        assert!(peers.iter().all(|p| mock.handle.scores().get(p) == 0));
    }
}
