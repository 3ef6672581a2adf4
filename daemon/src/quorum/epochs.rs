//! Epoch batches. Each datanet's time is cut into fixed-length epochs (`validator.epoch`),
//! numbered from 0 at the datanet's creation time (its record says when). Once in each, as
//! soon as it holds accepted contributions to batch, the epoch's leader of each datanet (drawn by stake, the same at every node)
//! proposes the batch of accepted contributions that are in no batch yet; each validator
//! checks the proposal against its own manifests and certificates, records its vote durably,
//! then signs and gossips it; whoever sees votes of more than the threshold of stake for the
//! proposal's root stores the final batch and gossips it. A validator votes for one root per
//! (datanet, epoch) at most, so two batches of one epoch can never both be final; a silent
//! leader leaves its epoch empty and the next leader batches what it left.
//!
//! Every storage node judges the batch messages of the datanets it follows: proposals and
//! final batches must rebuild from its own manifests to their root.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use datanet_net::{Judgement, NetEvent, NetHandle};
use datanet_protocol::quorum_message::{QuorumMessage, MAX_PROPOSAL_BYTES};
use datanet_protocol::signed::{batch_root, leader, BatchVoteBody, ProposalBody, MAX_BATCH_LEAVES};
use datanet_protocol::sync::IdPrefix;
use datanet_protocol::{
    BatchLeaf, BatchProposal, BatchVote, DatanetId, FinalBatch, Hash, PublicKey, SecretKey,
    ValidatorSet,
};
use datanet_storage::{Store, StoreError};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::sets::{certificate_under, set_at};
use super::Quorum;
use crate::clock::now_ms;
use crate::events::NodeEvent;
use crate::NodeError;

/// Contributions of one datanet looked through when a leader builds a proposal.
const SCAN_AT_MOST: usize = 100_000;
/// Epochs back from the current one that a node asks a peer for, when it lacks their batch,
/// as the peer connects.
const LOOKBACK: u64 = 16;
/// Epochs back asked for at each epoch, from a random peer: the final batches whose gossip
/// this node may have missed just now.
const RECENT: u64 = 2;
/// Epochs either side of this node's current one whose proposals and votes it accepts: clocks
/// differ a little. A proposal or vote further off is refused and costs its forwarder.
const SKEW: u64 = 1;
/// How often in an epoch a node looks for a batch to propose where it leads: a leader
/// proposes once per epoch, as soon as it holds accepted contributions to batch, so one
/// certified just after a proposal waits at most about an epoch for the next leader.
const TICKS_PER_EPOCH: u32 = 8;
/// The shortest wait between two looks.
const MIN_TICK: Duration = Duration::from_millis(100);
/// Proposals and vote sets kept in memory: those of older epochs are dropped.
const KEEP_EPOCHS: u64 = 4;

/// What this node's validator signs epochs with, if it has a key.
#[derive(Clone)]
pub(crate) struct Signer {
    pub(crate) key: Arc<SecretKey>,
}

/// Proposals and votes heard, per (datanet, epoch), until their batch is final.
struct Round {
    opened: std::time::Instant,
    proposals: BTreeMap<Hash, BatchProposal>,
    votes: BTreeMap<Hash, Vec<BatchVote>>,
}

impl Default for Round {
    fn default() -> Self {
        Round {
            opened: std::time::Instant::now(),
            proposals: BTreeMap::new(),
            votes: BTreeMap::new(),
        }
    }
}

/// The epoch machinery of one node.
#[derive(Clone)]
pub(crate) struct Batches {
    pub(super) quorum: Quorum,
    signer: Option<Signer>,
    pub(super) anchoring: Option<crate::anchoring::Anchoring>,
    /// The attribution index, when this node attributes: it recomputes attribution records.
    pub(super) indexer: Option<crate::attribution::Indexer>,
    /// Attribution records this node could not check yet.
    pub(super) later: super::payouts::LaterRecords,
    epoch: Duration,
    rounds: Arc<Mutex<BTreeMap<(DatanetId, u64), Round>>>,
    /// The last epoch this node proposed for, per datanet: a leader proposes once.
    proposed: Arc<Mutex<BTreeMap<DatanetId, u64>>>,
}

impl Batches {
    /// Epochs of length `epoch` over `quorum`'s store; `signer` when this node validates;
    /// `anchoring` when a chain is configured; `indexer` when this node attributes.
    pub(crate) fn new(
        quorum: Quorum,
        signer: Option<Signer>,
        anchoring: Option<crate::anchoring::Anchoring>,
        indexer: Option<crate::attribution::Indexer>,
        epoch: Duration,
    ) -> Self {
        Batches {
            quorum,
            signer,
            anchoring,
            indexer,
            later: Arc::default(),
            epoch,
            rounds: Arc::default(),
            proposed: Arc::default(),
        }
    }

    /// The current epoch, by this node's clock, of a datanet created at `created_ms`.
    fn current(epoch: Duration, created_ms: u64) -> u64 {
        now_ms().saturating_sub(created_ms) / (epoch.as_millis().max(1) as u64)
    }

    /// Several times an epoch, proposes where this node leads and has something to batch;
    /// once an epoch, asks a peer for the recent batches it lacks; on each connection, asks
    /// that peer for the older ones. Runs until cancelled.
    pub(crate) async fn run(
        self,
        mut net_events: broadcast::Receiver<NetEvent>,
        cancel: CancellationToken,
    ) {
        let tick = (self.epoch / TICKS_PER_EPOCH).max(MIN_TICK);
        let mut ticks = tokio::time::interval(tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut count = 0u32;
        loop {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                _ = ticks.tick() => {
                    self.retry_later().await;
                    if let Err(e) = self.propose().await {
                        tracing::warn!(error = %e, "no batch proposed");
                    }
                    count = (count + 1) % TICKS_PER_EPOCH;
                    if count == 0 {
                        self.forget_old();
                        if let Err(e) = self.fetch_missing(None, RECENT).await {
                            tracing::debug!(error = %e, "missed batches not fetched");
                        }
                    }
                }
                event = net_events.recv() => match event {
                    Ok(NetEvent::StoragePeer(peer)) => {
                        if let Err(e) = self.fetch_missing(Some(peer), LOOKBACK).await {
                            tracing::debug!(%peer, error = %e, "missed batches not fetched");
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                    _ => {}
                },
            }
        }
    }

    /// Drops the rounds opened more than [`KEEP_EPOCHS`] epochs ago.
    fn forget_old(&self) {
        let keep = self.epoch * KEEP_EPOCHS as u32;
        let mut rounds = self.rounds.lock().unwrap_or_else(|p| p.into_inner());
        rounds.retain(|_, round| round.opened.elapsed() < keep);
    }

    /// Proposes the batch of the current epoch of every datanet this node's validator leads
    /// in it and that has accepted contributions to batch, once per epoch.
    async fn propose(&self) -> Result<(), NodeError> {
        let Some(signer) = self.signer.clone() else {
            return Ok(());
        };
        let me = signer.key.public();
        let length = self.epoch;
        let done = self
            .proposed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let proposals = self
            .quorum
            .store
            .run(move |s| {
                let mut bodies = Vec::new();
                for datanet in s.datanets()? {
                    let epoch = Self::current(length, datanet.body().created_ms);
                    let Some(set) = set_at(s, &datanet, epoch)? else {
                        continue;
                    };
                    if leader(&set, &datanet.id(), epoch) != Some(me)
                        || done.get(&datanet.id()) == Some(&epoch)
                    {
                        continue;
                    }
                    if let Some(body) = proposal_body(s, &set, datanet.id(), epoch, me)? {
                        bodies.push(body);
                    }
                }
                Ok(bodies)
            })
            .await?;
        for mut body in proposals {
            self.pay(&mut body).await;
            if body.certificates.is_empty() && body.attributions.is_empty() {
                continue;
            }
            let (datanet, epoch) = (body.datanet, body.epoch);
            self.proposed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(datanet, epoch);
            let count = body.certificates.len();
            let records = body.attributions.len();
            let proposal = BatchProposal::sign(body, &signer.key)
                .map_err(|e| NodeError::Internal(format!("signing a proposal: {e}")))?;
            tracing::info!(%datanet, epoch, contributions = count, attribution_records = records, "proposing a batch");
            self.net()
                .publish_quorum(datanet, &QuorumMessage::Proposal(proposal.clone()))
                .await?;
            self.judge(datanet, QuorumMessage::Proposal(proposal)).await;
        }
        Ok(())
    }

    /// Asks `peer` (or a random connected storage peer) for the final batches of the last
    /// `lookback` epochs of each datanet with validators that this node lacks.
    async fn fetch_missing(
        &self,
        peer: Option<libp2p::PeerId>,
        lookback: u64,
    ) -> Result<(), NodeError> {
        let peer = match peer {
            Some(peer) => peer,
            None => {
                let peers = self.net().storage_peers().await?;
                match rand::seq::SliceRandom::choose(peers.as_slice(), &mut rand::thread_rng()) {
                    Some(peer) => *peer,
                    None => return Ok(()),
                }
            }
        };
        let length = self.epoch;
        let missing = self
            .quorum
            .store
            .run(move |s| {
                let mut missing = Vec::new();
                for datanet in s.datanets()? {
                    let epoch = Self::current(length, datanet.body().created_ms);
                    for e in epoch.saturating_sub(lookback)..epoch {
                        if s.batch(&datanet.id(), e)?.is_some() {
                            continue;
                        }
                        if let Some(set) = set_at(s, &datanet, e)? {
                            missing.push((set, datanet.id(), e));
                        }
                    }
                }
                Ok(missing)
            })
            .await?;
        for (set, datanet, e) in missing {
            match self.net().get_batch(peer, &set, datanet, e).await {
                Ok(batch) => {
                    self.keep_final(datanet, batch).await;
                }
                Err(datanet_net::FetchError::NotFound(_)) => {}
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "batch not fetched");
                    break;
                }
            }
        }
        Ok(())
    }

    fn net(&self) -> &NetHandle {
        &self.quorum.net
    }

    /// Judges a batch message on `datanet`'s topic, and acts on it: votes for a valid
    /// proposal (as a validator), gathers votes into a final batch, keeps final batches.
    pub(crate) async fn judge(&self, datanet: DatanetId, message: QuorumMessage) -> Judgement {
        match message {
            QuorumMessage::Proposal(proposal) => self.on_proposal(datanet, proposal).await,
            QuorumMessage::Vote(vote) => self.on_vote(datanet, vote).await,
            QuorumMessage::Final(batch) => self.keep_final(datanet, *batch).await,
            QuorumMessage::AnchorSignature(signature) => match &self.anchoring {
                Some(anchoring) => anchoring.judge(datanet, signature).await,
                None => Judgement::Ignore,
            },
            QuorumMessage::Attribution(submission) => {
                self.on_attribution(datanet, *submission).await
            }
            QuorumMessage::Attestation(_) => Judgement::Ignore,
        }
    }

    async fn on_proposal(&self, datanet: DatanetId, proposal: BatchProposal) -> Judgement {
        let epoch = proposal.body().epoch;
        let checked = proposal.clone();
        let verdict = self
            .quorum
            .store
            .run(move |s| check_proposal(s, datanet, &checked))
            .await;
        let set = match verdict {
            Ok(Ok((set, created_ms))) => {
                if !self.near(created_ms, epoch) {
                    tracing::debug!(%datanet, epoch, "proposal for another epoch refused");
                    return Judgement::Reject;
                }
                set
            }
            Ok(Err(Check::Unknown(why))) => {
                tracing::debug!(%datanet, epoch, why, "proposal not checkable here yet");
                return Judgement::Ignore;
            }
            Ok(Err(Check::Invalid(why))) => {
                tracing::info!(%datanet, epoch, why, "proposal refused");
                return Judgement::Reject;
            }
            Err(e) => {
                tracing::warn!(error = %e, "proposal not checked");
                return Judgement::Ignore;
            }
        };
        let body = proposal.body();
        let ballot = ballot(body.root, body.rewards_root);
        let fresh = {
            let mut rounds = self.rounds.lock().unwrap_or_else(|p| p.into_inner());
            let round = rounds.entry((datanet, epoch)).or_default();
            round.proposals.insert(ballot, proposal.clone()).is_none()
        };
        if !fresh {
            return Judgement::Ignore;
        }
        self.vote(&proposal, &set).await;
        self.try_finish(datanet, epoch, ballot, &set).await;
        Judgement::Accept
    }

    /// Signs and gossips this node's vote for `proposal`, if it validates `set`, finds the
    /// proposal's payments right, and has voted for no other root in this epoch (its vote
    /// is recorded durably first).
    async fn vote(&self, proposal: &BatchProposal, set: &ValidatorSet) {
        let Some(signer) = &self.signer else {
            return;
        };
        let me = signer.key.public();
        if set.stake(&me).is_none() {
            return;
        }
        let body = proposal.body();
        let (datanet, epoch, root) = (body.datanet, body.epoch, body.root);
        let rewards_root = body.rewards_root;
        if let Err(why) = self.check_payments(body).await {
            tracing::info!(%datanet, epoch, why, "no vote for a proposal whose payments do not hold here");
            return;
        }
        let ballot = ballot(root, rewards_root);
        let allowed = self
            .quorum
            .store
            .run(move |s| s.record_vote(&datanet, epoch, &ballot))
            .await;
        match allowed {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(%datanet, epoch, %root, "already voted for another root in this epoch");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "vote not recorded, so not sent");
                return;
            }
        }
        let body = BatchVoteBody {
            datanet,
            epoch,
            root,
            rewards_root,
            validator: me,
        };
        let Ok(vote) = BatchVote::sign(body, &signer.key) else {
            return;
        };
        self.remember_vote(datanet, vote.clone());
        if let Err(e) = self
            .net()
            .publish_quorum(datanet, &QuorumMessage::Vote(vote))
            .await
        {
            tracing::warn!(error = %e, "vote not gossiped");
        }
    }

    fn remember_vote(&self, datanet: DatanetId, vote: BatchVote) -> bool {
        let body = vote.body();
        let mut rounds = self.rounds.lock().unwrap_or_else(|p| p.into_inner());
        let votes = rounds
            .entry((datanet, body.epoch))
            .or_default()
            .votes
            .entry(ballot(body.root, body.rewards_root))
            .or_default();
        if votes.iter().any(|v| v.body().validator == body.validator) {
            return false;
        }
        votes.push(vote);
        true
    }

    async fn on_vote(&self, datanet: DatanetId, vote: BatchVote) -> Judgement {
        let body = vote.body().clone();
        if body.datanet != datanet {
            return Judgement::Reject;
        }
        let Some((set, created_ms)) = self.set(datanet, body.epoch).await else {
            return Judgement::Ignore;
        };
        if !self.near(created_ms, body.epoch) {
            return Judgement::Reject;
        }
        if set.stake(&body.validator).is_none() || vote.verify().is_err() {
            return Judgement::Reject;
        }
        if !self.remember_vote(datanet, vote) {
            return Judgement::Ignore;
        }
        let ballot = ballot(body.root, body.rewards_root);
        self.try_finish(datanet, body.epoch, ballot, &set).await;
        Judgement::Accept
    }

    /// Stores and gossips the final batch of (`datanet`, `epoch`) if the proposal of
    /// `ballot` is known and its votes now pass the threshold.
    async fn try_finish(&self, datanet: DatanetId, epoch: u64, ballot: Hash, set: &ValidatorSet) {
        let ready = {
            let rounds = self.rounds.lock().unwrap_or_else(|p| p.into_inner());
            rounds.get(&(datanet, epoch)).and_then(|round| {
                let proposal = round.proposals.get(&ballot)?.clone();
                let votes = round.votes.get(&ballot)?.clone();
                FinalBatch::form(set, proposal, &votes).ok()
            })
        };
        let Some(batch) = ready else {
            return;
        };
        if self.store_final(batch.clone()).await {
            if let Err(e) = self
                .net()
                .publish_quorum(datanet, &QuorumMessage::Final(Box::new(batch)))
                .await
            {
                tracing::warn!(error = %e, "final batch not gossiped");
            }
        }
    }

    /// Checks and keeps a final batch heard of or fetched.
    async fn keep_final(&self, datanet: DatanetId, batch: FinalBatch) -> Judgement {
        if batch.slot().0 != datanet {
            return Judgement::Reject;
        }
        let checked = batch.clone();
        let verdict = self
            .quorum
            .store
            .run(move |s| {
                Ok(
                    check_proposal(s, datanet, &checked.proposal)?.and_then(|(set, _)| {
                        checked
                            .verify(&set)
                            .map_err(|e| Check::Invalid(e.to_string()))
                    }),
                )
            })
            .await;
        match verdict {
            Ok(Ok(())) => {}
            Ok(Err(Check::Invalid(why))) => {
                tracing::info!(%datanet, why, "final batch refused");
                return Judgement::Reject;
            }
            Ok(Err(Check::Unknown(_))) | Err(_) => return Judgement::Ignore,
        }
        if self.store_final(batch).await {
            Judgement::Accept
        } else {
            Judgement::Ignore
        }
    }

    /// Stores a checked final batch; whether it was new. Tells the events.
    async fn store_final(&self, batch: FinalBatch) -> bool {
        let (datanet, epoch) = batch.slot();
        let root = batch.root();
        let rewards_root = batch.proposal.body().rewards_root;
        let contributions = batch.proposal.body().certificates.len();
        let stored = self.quorum.store.run(move |s| s.put_batch(&batch)).await;
        match stored {
            Ok(true) => {
                tracing::info!(%datanet, epoch, %root, contributions, "batch final");
                self.quorum.events.emit(NodeEvent::Batched {
                    datanet,
                    epoch,
                    root,
                    contributions,
                });
                if let Some(anchoring) = &self.anchoring {
                    anchoring
                        .sign_and_gossip(datanet, epoch, root, rewards_root)
                        .await;
                }
                true
            }
            Ok(false) => false,
            Err(e) => {
                tracing::warn!(%datanet, epoch, error = %e, "final batch not stored");
                false
            }
        }
    }

    /// Whether `epoch` is within [`SKEW`] of the current epoch of a datanet created at
    /// `created_ms`.
    fn near(&self, created_ms: u64, epoch: u64) -> bool {
        Self::current(self.epoch, created_ms).abs_diff(epoch) <= SKEW
    }

    /// The validator set of `datanet`'s `epoch` and the datanet's creation time, if it has
    /// validators.
    async fn set(&self, datanet: DatanetId, epoch: u64) -> Option<(ValidatorSet, u64)> {
        self.quorum
            .store
            .run(move |s| {
                let Some(record) = s.datanet(&datanet)? else {
                    return Ok(None);
                };
                Ok(set_at(s, &record, epoch)?.map(|set| (set, record.body().created_ms)))
            })
            .await
            .ok()
            .flatten()
    }
}

/// Why a proposal was not taken.
enum Check {
    /// It refers to what this node does not know yet (its datanet or a manifest), or
    /// contradicts what it holds without proving anyone at fault (a contribution it holds in
    /// the batch of another epoch): not forwarded, nobody penalised.
    Unknown(String),
    /// It is wrong: the sender is to blame.
    Invalid(String),
}

/// Checks `proposal` on `topic` against the store: the datanet's set and leader, each
/// certificate, each contribution stored, of this datanet, not condemned and in no other
/// batch, and the root rebuilt from the leaves. Returns the set and the datanet's creation
/// time.
fn check_proposal(
    store: &Store,
    topic: DatanetId,
    proposal: &BatchProposal,
) -> Result<Result<(ValidatorSet, u64), Check>, StoreError> {
    let body = proposal.body();
    if body.datanet != topic {
        return Ok(Err(Check::Invalid("a proposal for another datanet".into())));
    }
    let Some(record) = store.datanet(&topic)? else {
        return Ok(Err(Check::Unknown(format!("datanet {topic} unknown"))));
    };
    let Some(set) = set_at(store, &record, body.epoch)? else {
        return Ok(Err(Check::Invalid(format!(
            "datanet {topic} has no validators"
        ))));
    };
    if body.validator_set != set.id() {
        return Ok(Err(Check::Unknown(format!(
            "signed under validator set {}, not {} which this node holds for epoch {} (it may not have seen the chain's latest anchor yet)",
            body.validator_set,
            set.id(),
            body.epoch
        ))));
    }
    if leader(&set, &topic, body.epoch) != Some(body.leader) {
        return Ok(Err(Check::Invalid(format!(
            "{} does not lead epoch {}",
            body.leader, body.epoch
        ))));
    }
    if proposal.verify().is_err() {
        return Ok(Err(Check::Invalid("a bad leader signature".into())));
    }
    let mut leaves = Vec::with_capacity(body.certificates.len());
    for qc in &body.certificates {
        if let Err(e) = qc.verify(&set) {
            return Ok(Err(Check::Invalid(format!("{}: {e}", qc.contribution))));
        }
        let Some(manifest) = store.manifest(&qc.contribution)? else {
            return Ok(Err(Check::Unknown(format!("{} unknown", qc.contribution))));
        };
        if manifest.body().datanet != topic {
            return Ok(Err(Check::Invalid(format!(
                "{} is of another datanet",
                qc.contribution
            ))));
        }
        for chunk in &manifest.body().chunks {
            if store.is_invalid(&chunk.da_root)? {
                return Ok(Err(Check::Invalid(format!(
                    "{} is proven badly encoded",
                    qc.contribution
                ))));
            }
        }
        if let Some(e) = store.batched_in(&qc.contribution)? {
            if e != body.epoch {
                return Ok(Err(Check::Unknown(format!(
                    "{} is already in the batch of epoch {e} here",
                    qc.contribution
                ))));
            }
        }
        leaves.push(BatchLeaf::new(&manifest, qc));
    }
    if batch_root(&leaves) != body.root {
        return Ok(Err(Check::Invalid(
            "the root does not match its leaves".into(),
        )));
    }
    Ok(Ok((set, record.body().created_ms)))
}

/// The proposal `me` makes as leader of `datanet`'s `epoch`: the accepted contributions in no
/// batch and not condemned, in id order, as many as fit, and, in even epochs, the
/// attribution records held here that no batch paid by yet (without payments:
/// [`Batches::pay`] adds them); `None` when there is neither. Odd epochs pay nothing, so a
/// record that some validators cannot recompute yet holds contributions back for one epoch
/// at most.
fn proposal_body(
    store: &Store,
    set: &ValidatorSet,
    datanet: DatanetId,
    epoch: u64,
    me: PublicKey,
) -> Result<Option<ProposalBody>, StoreError> {
    let mut certificates = Vec::new();
    let mut leaves = Vec::new();
    let mut bytes = 0;
    let mut seen = BTreeSet::new();
    for id in store.contributions_in(&datanet, &IdPrefix::ALL, SCAN_AT_MOST)? {
        if certificates.len() == MAX_BATCH_LEAVES {
            break;
        }
        if store.batched_in(&id)?.is_some() || !seen.insert(id) {
            continue;
        }
        let Some(manifest) = store.manifest(&id)? else {
            continue;
        };
        let Some(qc) = certificate_under(store, &id, set)? else {
            continue;
        };
        let mut condemned = false;
        for chunk in &manifest.body().chunks {
            condemned |= store.is_invalid(&chunk.da_root)?;
        }
        let size = datanet_protocol::Encode::to_bytes(&qc).len();
        if condemned || qc.verify(set).is_err() || bytes + size > MAX_PROPOSAL_BYTES - 1024 {
            continue;
        }
        bytes += size;
        leaves.push(BatchLeaf::new(&manifest, &qc));
        certificates.push(qc);
    }
    let attributions = if epoch % 2 == 0 {
        super::rewards::unpaid(store, &datanet, epoch)?
    } else {
        Vec::new()
    };
    if certificates.is_empty() && attributions.is_empty() {
        return Ok(None);
    }
    Ok(Some(ProposalBody {
        datanet,
        epoch,
        validator_set: set.id(),
        leader: me,
        root: batch_root(&leaves),
        certificates,
        attributions,
        funded: 0,
        payments: Vec::new(),
        rewards_root: Hash([0; 32]),
    }))
}

/// What votes for a proposal are counted under: its batch root, or, when it pays rewards, the
/// hash of its batch and rewards roots, so that one validator never votes for two rewards
/// roots with one batch root.
fn ballot(root: Hash, rewards_root: Hash) -> Hash {
    if rewards_root == Hash([0; 32]) {
        return root;
    }
    let mut both = [0u8; 64];
    both[..32].copy_from_slice(&root.0);
    both[32..].copy_from_slice(&rewards_root.0);
    datanet_protocol::hash::hash(datanet_protocol::Domain::BatchVote, &both)
}
