//! Where a contribution stands, read from the store: its attestations tallied against its
//! datanet's validator set, its certificate, the epoch batch it went into, and whether a
//! fraud proof condemned one of its squares.

use std::collections::BTreeSet;

use datanet_protocol::signed::{Standing, Tally};
use datanet_protocol::{Attestation, ContributionId, PublicKey, QuorumCertificate};
use datanet_storage::{Store, StoreError};

/// A contribution's stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Stored; its datanet names no validators, so nothing judges it.
    Stored,
    /// Its validators have not settled it yet.
    Pending,
    /// Accepted by a quorum: its certificate formed.
    Accepted,
    /// Rejected: accepting stake can no longer reach the threshold, or one of its squares was
    /// proven badly encoded.
    Rejected,
}

impl Stage {
    /// The stage's name as the API and CLI show it.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Stored => "stored",
            Stage::Pending => "pending",
            Stage::Accepted => "accepted",
            Stage::Rejected => "rejected",
        }
    }
}

/// Everything known of one contribution's validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    /// Its stage.
    pub stage: Stage,
    /// The stake on each side, when its datanet has validators.
    pub tally: Option<Tally>,
    /// The first attestation of each validator, by key.
    pub attestations: Vec<Attestation>,
    /// Validators caught signing both ways; their votes count for neither side.
    pub equivocators: Vec<PublicKey>,
    /// The certificate, once formed.
    pub certificate: Option<QuorumCertificate>,
    /// The epoch whose final batch holds it.
    pub epoch: Option<u64>,
    /// Whether a square of it was proven badly encoded.
    pub condemned: bool,
}

/// The lifecycle of contribution `id`, or `None` when its manifest is not stored.
///
/// # Errors
/// A store error.
pub fn lifecycle(store: &Store, id: &ContributionId) -> Result<Option<Lifecycle>, StoreError> {
    let Some(manifest) = store.manifest(id)? else {
        return Ok(None);
    };
    let mut condemned = false;
    for chunk in &manifest.body().chunks {
        condemned |= store.is_invalid(&chunk.da_root)?;
    }
    let attestations = store.attestations(id)?;
    let equivocators: BTreeSet<PublicKey> = store
        .equivocations(id)?
        .into_iter()
        .map(|e| e.first.body().validator)
        .collect();
    let certificate = store.certificate(id)?;
    let epoch = store.batched_in(id)?;
    let tally = super::sets::newest_of(store, &manifest)?
        .map(|set| Tally::of(&set, &attestations, &equivocators));
    let stage = match (&tally, &certificate) {
        _ if condemned => Stage::Rejected,
        (None, _) => Stage::Stored,
        (Some(_), Some(_)) => Stage::Accepted,
        (Some(tally), None) => match tally.standing() {
            Standing::Rejected => Stage::Rejected,
            Standing::Accepted | Standing::Pending => Stage::Pending,
        },
    };
    Ok(Some(Lifecycle {
        stage,
        tally,
        attestations,
        equivocators: equivocators.into_iter().collect(),
        certificate,
        epoch,
        condemned,
    }))
}
