//! Which validators check a datanet: the one place the quorum code asks.
//!
//! A datanet's record names its validators. Once a chain is configured and the hub has
//! anchored an epoch `A` of the datanet, the hub's set as of that anchor's block (its bound,
//! staked keys, with their stake) validates the datanet from epoch `A +` [`CHAIN_SET_LAG`] on,
//! until a later anchor's set takes over. Every node that follows the chain reads the same
//! set at the same block, so each epoch is proposed, voted and checked against one set; the
//! lag leaves every node time to see the anchor confirmed before that epoch's batch is made.
//!
//! Attestations and certificates belong to no epoch: they are judged against the newest set
//! this node holds. A certificate formed under an earlier set is formed again from its stored
//! attestations when a batch under a later set takes it ([`certificate_under`]).

use datanet_protocol::signed::{RecordValidators, ValidatorSource, Verdict};
use datanet_protocol::{
    Attestation, ContributionId, Datanet, Manifest, QuorumCertificate, ValidatorSet,
};
use datanet_storage::{Store, StoreError};

/// Epochs between an anchored epoch and the first epoch the hub's set read at its anchor
/// validates.
pub(crate) const CHAIN_SET_LAG: u64 = 3;

/// The validators of a datanet as the store knows them: the sets a chain gave it, else its
/// record's.
pub(crate) struct StoredSets<'a> {
    store: &'a Store,
    epoch: Option<u64>,
}

impl<'a> StoredSets<'a> {
    /// The sets that validate epoch `epoch`.
    pub(crate) fn at(store: &'a Store, epoch: u64) -> Self {
        StoredSets {
            store,
            epoch: Some(epoch),
        }
    }

    /// The newest set, whatever epoch it applies from: what attestations and certificates
    /// are judged against.
    pub(crate) fn newest(store: &'a Store) -> Self {
        StoredSets { store, epoch: None }
    }
}

impl ValidatorSource for StoredSets<'_> {
    type Error = StoreError;

    fn validator_set(&self, datanet: &Datanet) -> Result<Option<ValidatorSet>, StoreError> {
        let id = datanet.id();
        let from_chain = match self.epoch {
            Some(epoch) => self.store.chain_set_at(&id, epoch)?,
            None => self.store.newest_chain_set(&id)?,
        };
        match from_chain {
            Some(set) => Ok(Some(set)),
            None => match RecordValidators.validator_set(datanet) {
                Ok(set) => Ok(set),
                Err(never) => match never {},
            },
        }
    }
}

/// The validators of `datanet`'s `epoch`.
///
/// # Errors
/// A store error.
pub(crate) fn set_at(
    store: &Store,
    datanet: &Datanet,
    epoch: u64,
) -> Result<Option<ValidatorSet>, StoreError> {
    StoredSets::at(store, epoch).validator_set(datanet)
}

/// The newest validators of `datanet`.
///
/// # Errors
/// A store error.
pub(crate) fn newest(store: &Store, datanet: &Datanet) -> Result<Option<ValidatorSet>, StoreError> {
    StoredSets::newest(store).validator_set(datanet)
}

/// The newest validators of the datanet `manifest` belongs to, if the node holds its record
/// and it has validators.
///
/// # Errors
/// A store error.
pub(crate) fn newest_of(
    store: &Store,
    manifest: &Manifest,
) -> Result<Option<ValidatorSet>, StoreError> {
    match store.datanet(&manifest.body().datanet)? {
        Some(record) => newest(store, &record),
        None => Ok(None),
    }
}

/// The accepting attestations stored for contribution `id` that count: equivocators' left
/// out.
///
/// # Errors
/// A store error.
pub(crate) fn counted_accepts(
    store: &Store,
    id: &ContributionId,
) -> Result<Vec<Attestation>, StoreError> {
    let equivocators: Vec<_> = store
        .equivocations(id)?
        .into_iter()
        .map(|e| e.first.body().validator)
        .collect();
    Ok(store
        .attestations(id)?
        .into_iter()
        .filter(|a| {
            a.body().verdict == Verdict::Accept && !equivocators.contains(&a.body().validator)
        })
        .collect())
}

/// Contribution `id`'s certificate under `set`: the stored one if it was formed under it,
/// else one formed from the stored attestations; `None` when they do not reach its
/// threshold.
///
/// # Errors
/// A store error.
pub(crate) fn certificate_under(
    store: &Store,
    id: &ContributionId,
    set: &ValidatorSet,
) -> Result<Option<QuorumCertificate>, StoreError> {
    if let Some(qc) = store.certificate(id)? {
        if qc.verify(set).is_ok() {
            return Ok(Some(qc));
        }
    }
    Ok(QuorumCertificate::form(set, *id, &counted_accepts(store, id)?).ok())
}
