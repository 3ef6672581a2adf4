//! Epoch batches: per datanet and epoch, the Merkle tree over accepted contributions that the
//! epoch's leader proposes and a quorum of validators signs.
//!
//! A [`BatchLeaf`] commits to one accepted contribution (id, contributor, payload hash, DA
//! roots and the hash of the QC that accepted it). The leader signs a [`BatchProposal`]
//! carrying the QCs, so every validator rebuilds the same leaves from its own manifests;
//! validators sign a [`BatchVote`] on the root; a [`FinalBatch`] is the proposal with votes
//! holding more than the threshold of stake. The leader of an epoch is drawn by stake from
//! the set ([`leader`]), so every node names the same one.

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};
use crate::hash::{hash, Domain, Hash};
use crate::ids::{ContributionId, DaRoot, DatanetId};
use crate::merkle;

use super::manifest::MAX_CHUNKS;
use super::quorum::{decode_signers, encode_signers};
use super::{
    verify_batch, Manifest, PublicKey, QuorumCertificate, QuorumError, Signable, Signature, Signed,
    ValidatorSet,
};

/// The most contributions one batch holds; the rest wait for the next epoch.
pub const MAX_BATCH_LEAVES: usize = 256;

/// What an epoch batch commits to for one accepted contribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchLeaf {
    /// The contribution.
    pub contribution: ContributionId,
    /// The key that signed its manifest.
    pub contributor: PublicKey,
    /// The hash of its whole payload.
    pub payload_hash: Hash,
    /// The DA root of each of its chunks, in order.
    pub da_roots: Vec<DaRoot>,
    /// The hash of the certificate that accepted it.
    pub qc_hash: Hash,
}

impl BatchLeaf {
    /// The leaf of `manifest`'s contribution accepted by `qc`.
    pub fn new(manifest: &Manifest, qc: &QuorumCertificate) -> Self {
        let body = manifest.body();
        BatchLeaf {
            contribution: manifest.id(),
            contributor: body.contributor,
            payload_hash: body.payload_hash,
            da_roots: body.chunks.iter().map(|c| c.da_root).collect(),
            qc_hash: qc.hash(),
        }
    }

    /// The leaf's hash, a leaf of the batch's Merkle tree.
    pub fn hash(&self) -> Hash {
        hash(Domain::BatchLeaf, &self.to_bytes())
    }
}

impl Encode for BatchLeaf {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        self.contribution.encode_to(out);
        self.contributor.encode_to(out);
        out.hash(&self.payload_hash);
        out.list(&self.da_roots);
        out.hash(&self.qc_hash);
    }
}

impl Decode for BatchLeaf {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("batch leaf version")?;
        Ok(BatchLeaf {
            contribution: ContributionId::decode_from(r)?,
            contributor: PublicKey::decode_from(r)?,
            payload_hash: r.hash("payload hash")?,
            da_roots: r.list(MAX_CHUNKS, "DA roots")?,
            qc_hash: r.hash("QC hash")?,
        })
    }
}

/// The root of the batch over `leaves`, in order.
pub fn batch_root(leaves: &[BatchLeaf]) -> Hash {
    let hashes: Vec<Hash> = leaves.iter().map(BatchLeaf::hash).collect();
    merkle::root(&hashes)
}

/// The leader of `datanet`'s `epoch` under `set`: the validator whose stake interval holds
/// `H(Leader, set id ‖ datanet ‖ epoch)` taken as a number modulo the total stake, walking the
/// validators in ascending key order. Deterministic, and drawn in proportion to stake. Always
/// `Some` for a set that decoded or was built (a set is never empty).
pub fn leader(set: &ValidatorSet, datanet: &DatanetId, epoch: u64) -> Option<PublicKey> {
    let mut input = Writer::with_capacity(72);
    input.hash(&set.id());
    datanet.encode_to(&mut input);
    input.u64(epoch);
    let draw = hash(Domain::Leader, &input.into_bytes());
    let mut high = [0u8; 16];
    high.copy_from_slice(&draw.0[..16]);
    let mut point = u128::from_be_bytes(high) % set.total_stake().max(1);
    set.validators()
        .find(|validator| {
            let stake = u128::from(validator.stake);
            if point < stake {
                return true;
            }
            point -= stake;
            false
        })
        .map(|v| v.key)
}

/// The most attribution records one batch pays by.
pub const MAX_BATCH_ATTRIBUTIONS: usize = 256;
/// The most contributors one batch pays.
pub const MAX_BATCH_PAYMENTS: usize = 4096;

/// What an epoch's leader proposes: the certificates of the contributions in the batch, in
/// leaf order, and the root of the leaves they make; and the attribution records the epoch
/// pays rewards by, with what it pays each contributor and the rewards root that results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalBody {
    /// The datanet.
    pub datanet: DatanetId,
    /// The epoch.
    pub epoch: u64,
    /// The id of the validator set the batch is signed under.
    pub validator_set: Hash,
    /// The epoch's leader, who signs the proposal.
    pub leader: PublicKey,
    /// The root of the batch's leaves.
    pub root: Hash,
    /// The certificate of each contribution, in leaf order; up to [`MAX_BATCH_LEAVES`], each
    /// contribution once.
    pub certificates: Vec<QuorumCertificate>,
    /// The ids of the attribution records the epoch pays by, ascending; up to
    /// [`MAX_BATCH_ATTRIBUTIONS`]. A batch holds a contribution or a record at least.
    pub attributions: Vec<Hash>,
    /// The datanet's reward pool as the leader read it on chain (everything ever funded, in
    /// wei): the epoch's share is taken from what of it earlier epochs left.
    pub funded: u128,
    /// What the epoch pays each contributor, in wei, ascending by key, each above zero.
    pub payments: Vec<(PublicKey, u128)>,
    /// The root of the rewards tree of cumulative amounts after this epoch; zero when it
    /// pays nothing.
    pub rewards_root: Hash,
}

/// A signed batch proposal.
pub type BatchProposal = Signed<ProposalBody>;

impl Signable for ProposalBody {
    const DOMAIN: Domain = Domain::BatchProposal;

    fn signer(&self) -> &PublicKey {
        &self.leader
    }

    fn check(&self) -> Result<(), String> {
        check_body(self)
    }
}

/// The rules of a proposal: its certificates and attributions, and its payments with their
/// root.
fn check_body(body: &ProposalBody) -> Result<(), String> {
    check_certificates(&body.certificates)?;
    if body.certificates.is_empty() && body.attributions.is_empty() {
        return Err("a batch holds at least one contribution or attribution record".into());
    }
    if body.attributions.len() > MAX_BATCH_ATTRIBUTIONS
        || body.attributions.windows(2).any(|w| w[0] >= w[1])
    {
        return Err(format!(
            "attribution records must be distinct, ascending and at most {MAX_BATCH_ATTRIBUTIONS}"
        ));
    }
    if body.payments.len() > MAX_BATCH_PAYMENTS
        || body.payments.iter().any(|(_, amount)| *amount == 0)
        || body.payments.windows(2).any(|w| w[0].0 >= w[1].0)
    {
        return Err(format!(
            "payments must be above zero, to distinct contributors in ascending key order, and at most {MAX_BATCH_PAYMENTS}"
        ));
    }
    if body.payments.is_empty() != (body.rewards_root == Hash([0; 32])) {
        return Err("the rewards root is zero exactly when the batch pays nothing".into());
    }
    if !body.payments.is_empty() && body.attributions.is_empty() {
        return Err("a batch pays only by attribution records".into());
    }
    Ok(())
}

/// The rules on a proposal's certificates: at most [`MAX_BATCH_LEAVES`], no contribution
/// twice.
fn check_certificates(certificates: &[QuorumCertificate]) -> Result<(), String> {
    if certificates.len() > MAX_BATCH_LEAVES {
        return Err(format!(
            "{} contributions; a batch holds at most {MAX_BATCH_LEAVES}",
            certificates.len()
        ));
    }
    let mut seen: Vec<ContributionId> = certificates.iter().map(|c| c.contribution).collect();
    seen.sort_unstable();
    if seen.windows(2).any(|w| w[0] == w[1]) {
        return Err("a contribution appears twice".into());
    }
    Ok(())
}

impl Encode for ProposalBody {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        self.datanet.encode_to(out);
        out.u64(self.epoch);
        out.hash(&self.validator_set);
        self.leader.encode_to(out);
        out.hash(&self.root);
        out.list(&self.certificates);
        out.hashes(&self.attributions);
        out.raw(&self.funded.to_be_bytes());
        out.u32(self.payments.len() as u32);
        for (key, amount) in &self.payments {
            key.encode_to(out);
            out.raw(&amount.to_be_bytes());
        }
        out.hash(&self.rewards_root);
    }
}

impl Decode for ProposalBody {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("batch proposal version")?;
        let body = ProposalBody {
            datanet: DatanetId::decode_from(r)?,
            epoch: r.u64("epoch")?,
            validator_set: r.hash("validator set id")?,
            leader: PublicKey::decode_from(r)?,
            root: r.hash("batch root")?,
            certificates: {
                let certificates = r.list(MAX_BATCH_LEAVES, "certificates")?;
                check_certificates(&certificates)
                    .map_err(|why| DecodeError::invalid("batch proposal", why))?;
                certificates
            },
            attributions: r.hashes(MAX_BATCH_ATTRIBUTIONS, "attribution records")?,
            funded: u128::from_be_bytes(r.array("funded")?),
            payments: {
                let count = r.len(MAX_BATCH_PAYMENTS, "payments")?;
                let mut payments = Vec::with_capacity(count);
                for _ in 0..count {
                    payments.push((
                        PublicKey::decode_from(r)?,
                        u128::from_be_bytes(r.array("payment")?),
                    ));
                }
                payments
            },
            rewards_root: r.hash("rewards root")?,
        };
        check_body(&body).map_err(|why| DecodeError::invalid("batch proposal", why))?;
        Ok(body)
    }
}

/// A validator's vote for one batch root of one (datanet, epoch). An honest validator signs
/// at most one root per (datanet, epoch), so two roots can never both be final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchVoteBody {
    /// The datanet.
    pub datanet: DatanetId,
    /// The epoch.
    pub epoch: u64,
    /// The root voted for.
    pub root: Hash,
    /// The proposal's rewards root voted for with it (zero when the batch pays nothing).
    pub rewards_root: Hash,
    /// The voting validator.
    pub validator: PublicKey,
}

/// A signed batch vote: a validator's batch signature.
pub type BatchVote = Signed<BatchVoteBody>;

impl Signable for BatchVoteBody {
    const DOMAIN: Domain = Domain::BatchVote;

    fn signer(&self) -> &PublicKey {
        &self.validator
    }

    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

impl Encode for BatchVoteBody {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        self.datanet.encode_to(out);
        out.u64(self.epoch);
        out.hash(&self.root);
        out.hash(&self.rewards_root);
        self.validator.encode_to(out);
    }
}

impl Decode for BatchVoteBody {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("batch vote version")?;
        Ok(BatchVoteBody {
            datanet: DatanetId::decode_from(r)?,
            epoch: r.u64("epoch")?,
            root: r.hash("batch root")?,
            rewards_root: r.hash("rewards root")?,
            validator: PublicKey::decode_from(r)?,
        })
    }
}

/// A proposal and the votes for its root of validators holding more than the threshold of
/// stake: a final batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalBatch {
    /// The leader's proposal.
    pub proposal: BatchProposal,
    /// `(validator, signature)` over the [`BatchVoteBody`] for the proposal's root, ascending
    /// by key.
    pub signatures: Vec<(PublicKey, Signature)>,
}

impl FinalBatch {
    /// Gathers the valid votes among `votes` for `proposal`'s root into a final batch, if
    /// their validators hold more than `set`'s threshold of stake. Votes for another root,
    /// datanet or epoch, by non-members, repeated or wrongly signed do not count.
    ///
    /// # Errors
    /// [`QuorumError::InsufficientStake`] when the counted stake is too low.
    pub fn form(
        set: &ValidatorSet,
        proposal: BatchProposal,
        votes: &[BatchVote],
    ) -> Result<Self, QuorumError> {
        let body = proposal.body();
        let mut counted = std::collections::BTreeMap::new();
        for vote in votes {
            let v = vote.body();
            if v.datanet == body.datanet
                && v.epoch == body.epoch
                && v.root == body.root
                && v.rewards_root == body.rewards_root
                && set.stake(&v.validator).is_some()
                && !counted.contains_key(&v.validator)
                && vote.verify().is_ok()
            {
                counted.insert(v.validator, *vote.signature());
            }
        }
        let have = counted
            .keys()
            .filter_map(|k| set.stake(k))
            .map(u128::from)
            .sum();
        set.check_stake(have)?;
        Ok(FinalBatch {
            proposal,
            signatures: counted.into_iter().collect(),
        })
    }

    /// The datanet and epoch the batch closes.
    pub fn slot(&self) -> (DatanetId, u64) {
        let body = self.proposal.body();
        (body.datanet, body.epoch)
    }

    /// The batch root.
    pub fn root(&self) -> Hash {
        self.proposal.body().root
    }

    /// Checks the batch against `set`: the proposal is for this set, signed by the epoch's
    /// leader, and every certificate in it verifies; the voters are distinct members holding
    /// more than the threshold of stake, and every vote signature verifies (as one batch).
    /// The root is not recomputed here: that needs the manifests (see [`batch_root`]).
    ///
    /// # Errors
    /// Any [`QuorumError`].
    pub fn verify(&self, set: &ValidatorSet) -> Result<(), QuorumError> {
        let body = self.proposal.body();
        if body.validator_set != set.id() {
            return Err(QuorumError::WrongSet {
                expected: set.id(),
                got: body.validator_set,
            });
        }
        if leader(set, &body.datanet, body.epoch) != Some(body.leader) {
            return Err(QuorumError::NotLeader(body.leader));
        }
        self.proposal.verify()?;
        for qc in &body.certificates {
            qc.verify(set)?;
        }
        if self.signatures.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(QuorumError::Duplicate);
        }
        let mut have = 0u128;
        let mut items = Vec::with_capacity(self.signatures.len());
        for (key, signature) in &self.signatures {
            have += u128::from(set.stake(key).ok_or(QuorumError::Foreign(*key))?);
            let vote = BatchVoteBody {
                datanet: body.datanet,
                epoch: body.epoch,
                root: body.root,
                rewards_root: body.rewards_root,
                validator: *key,
            };
            items.push((Signed::signing_hash(&vote), *signature, *key));
        }
        set.check_stake(have)?;
        verify_batch(&items)?;
        Ok(())
    }
}

impl Encode for FinalBatch {
    fn encode_to(&self, out: &mut Writer) {
        self.proposal.encode_to(out);
        encode_signers(out, &self.signatures);
    }
}

impl Decode for FinalBatch {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let proposal = BatchProposal::decode_from(r)?;
        let signatures = decode_signers(r, "final batch")?;
        Ok(FinalBatch {
            proposal,
            signatures,
        })
    }
}
