//! Availability sampling over the network: distinct random shares of a square, fetched in one
//! batched request per custodian (other peers on failure), each checked against the square's
//! header (whose roots the DA root commits), so no proof needs its column's axis path.

use std::collections::{BTreeMap, BTreeSet};

use datanet_protocol::sampling::{detection_probability, random_coordinates};
use datanet_protocol::{DaRoot, SquareHeader};
use futures::{stream, StreamExt};
use libp2p::PeerId;

use crate::net::wire::{Request, Response, SampleAnswer, MAX_SAMPLES};
use crate::net::NetHandle;
use crate::retrieval::candidates;

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

/// Samples `count` distinct shares of the square under `header`: each round asks every
/// coordinate still unanswered of its best-ranked candidate peer not yet asked for it, one
/// batched request per peer, so every peer gets its chance however scores move meanwhile.
pub(crate) async fn sample(
    net: &NetHandle,
    header: &SquareHeader,
    count: usize,
    replicas: usize,
) -> SampleReport {
    let da_root = header.da_root();
    let k = header.params.k;
    let peers = net.peers().await.unwrap_or_default();
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
            let next = candidates(net, &peers, col, replicas)
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
        let request = Request::GetSamples {
            da_root: header.da_root(),
            coordinates: batch.to_vec(),
            axis_paths: false,
        };
        let answers = match net.request(peer, request).await {
            Ok(Response::Samples(answers)) if answers.len() == batch.len() => answers,
            _ => {
                unanswered.extend_from_slice(batch);
                continue;
            }
        };
        for (&(row, col), answer) in batch.iter().zip(answers) {
            let valid = match answer {
                SampleAnswer::Found { share, proof } => {
                    let valid = proof
                        .verify_in(header, row.into(), col.into(), &share)
                        .is_ok();
                    net.scores().record(peer, valid);
                    valid
                }
                SampleAnswer::Missing => false,
            };
            if !valid {
                unanswered.push((row, col));
            }
        }
    }
    unanswered
}
