//! Checking one contribution's availability: its manifest and square headers from a storage
//! peer (verified against the contribution id), then, per chunk, as many distinct uniform
//! samples as the target confidence needs, each share's proof checked against the square's
//! DA root. A chunk is `available` only when every sample verified; the confidence reported
//! is what those samples give, never rounded up.

use datanet_net::sampling::{sample, SampleReport};
use datanet_net::NetHandle;
use datanet_protocol::sampling::samples_needed;
use datanet_protocol::{ContributionId, DaRoot, Manifest};
use serde::{Deserialize, Serialize};

use crate::error::LightError;

/// The verdict on one chunk's square.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkVerdict {
    /// The square's DA root, hex.
    pub da_root: String,
    /// Its width `k`.
    pub k: u16,
    /// Samples asked for.
    pub samples: usize,
    /// Samples that came back with a valid proof.
    pub verified: usize,
    /// Whether every sample verified.
    pub available: bool,
    /// The probability that a withheld square would have been caught by these samples;
    /// zero when any failed.
    pub confidence: f64,
}

impl ChunkVerdict {
    fn of(report: &SampleReport) -> Self {
        ChunkVerdict {
            da_root: report.da_root.to_string(),
            k: report.k,
            samples: report.requested,
            verified: report.verified,
            available: report.available(),
            confidence: report.confidence,
        }
    }
}

/// The verdict on one contribution: available when every chunk is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContributionVerdict {
    /// The contribution, hex.
    pub contribution: String,
    /// Its datanet, hex.
    pub datanet: String,
    /// Its payload's length in bytes.
    pub payload_len: u64,
    /// One verdict per chunk, in order.
    pub chunks: Vec<ChunkVerdict>,
    /// Whether every chunk is available.
    pub available: bool,
    /// The lowest confidence of its chunks (zero when one is unavailable).
    pub confidence: f64,
    /// Squares of it proven badly encoded by a fraud proof, hex: the contribution is
    /// invalid whatever its availability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid: Vec<String>,
}

impl ContributionVerdict {
    /// Whether the contribution is available and no fraud proof condemns it.
    pub fn good(&self) -> bool {
        self.available && self.invalid.is_empty()
    }
}

/// Samples every chunk of contribution `id` to `confidence`, asking the custodians among
/// `replicas` per column first. `condemned` tells which squares a fraud proof proved bad.
///
/// # Errors
/// [`LightError::UnknownContribution`] when no peer has its manifest; a network error.
pub async fn check_contribution(
    net: &NetHandle,
    id: ContributionId,
    confidence: f64,
    replicas: usize,
    condemned: impl Fn(&DaRoot) -> bool,
) -> Result<(Manifest, ContributionVerdict), LightError> {
    let (manifest, headers) = net
        .find_manifest(id)
        .await?
        .ok_or(LightError::UnknownContribution(id))?;
    let mut chunks = Vec::with_capacity(headers.len());
    let mut invalid = Vec::new();
    for header in &headers {
        let count = samples_needed(u32::from(header.params.k), confidence) as usize;
        let report = sample(net, header, count, replicas).await;
        if condemned(&report.da_root) {
            invalid.push(report.da_root.to_string());
        }
        chunks.push(ChunkVerdict::of(&report));
    }
    let available = chunks.iter().all(|c| c.available);
    let confidence = if available {
        chunks.iter().map(|c| c.confidence).fold(1.0, f64::min)
    } else {
        0.0
    };
    let body = manifest.body();
    let verdict = ContributionVerdict {
        contribution: id.to_string(),
        datanet: body.datanet.to_string(),
        payload_len: body.payload_len,
        chunks,
        available,
        confidence,
        invalid,
    };
    Ok((manifest, verdict))
}
