//! Availability sampling over the network: distinct random shares of a square, each fetched
//! from a custodian of its column (others on failure) and checked against the DA root.

use datanet_protocol::sampling::{detection_probability, random_coordinates};
use datanet_protocol::{DaRoot, SquareHeader};
use futures::{stream, StreamExt};
use libp2p::PeerId;

use crate::net::wire::{Request, Response};
use crate::net::NetHandle;
use crate::retrieval::candidates;

/// Samples requested at the same time.
const SAMPLES_IN_FLIGHT: usize = 32;

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

/// Samples `count` distinct shares of the square under `header`.
pub(crate) async fn sample(
    net: &NetHandle,
    header: &SquareHeader,
    count: usize,
    replicas: usize,
) -> SampleReport {
    let da_root = header.da_root();
    let k = header.params.k;
    let peers = net.peers().await.unwrap_or_default();
    let coordinates = random_coordinates(&mut rand::thread_rng(), k, count);
    let requested = coordinates.len();
    let outcomes: Vec<((u16, u16), bool)> = stream::iter(coordinates)
        .map(|(row, col)| {
            let peers = &peers;
            async move {
                (
                    (row, col),
                    sample_one(net, peers, da_root, row, col, replicas).await,
                )
            }
        })
        .buffer_unordered(SAMPLES_IN_FLIGHT)
        .collect()
        .await;
    let failed: Vec<(u16, u16)> = outcomes
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(c, _)| *c)
        .collect();
    let verified = requested - failed.len();
    let confidence = if failed.is_empty() {
        detection_probability(u32::from(k), verified as u32)
    } else {
        0.0
    };
    SampleReport {
        da_root,
        k,
        requested,
        verified,
        failed,
        confidence,
    }
}

async fn sample_one(
    net: &NetHandle,
    peers: &[PeerId],
    da_root: DaRoot,
    row: u16,
    col: u16,
    replicas: usize,
) -> bool {
    for peer in candidates(net, peers, col, replicas) {
        if let Ok(Response::Sample { share, proof }) = net
            .request(peer, Request::GetSample { da_root, row, col })
            .await
        {
            let valid = proof
                .verify(&da_root, row.into(), col.into(), &share)
                .is_ok();
            net.scores().record(peer, valid);
            if valid {
                return true;
            }
        }
    }
    false
}
