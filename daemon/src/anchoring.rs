//! Anchoring: each datanet's final epoch batches go on chain, in epoch order, exactly once.
//!
//! A final batch is stored together with its entry in the anchor queue (queued, submitted,
//! confirmed). Each validator whose EVM key is staked on the datanet signs the batch's
//! EIP-712 anchor message and gossips the signature on the datanet's quorum topic; every node
//! with a chain keeps the signatures of stakers it can recover. Several times an epoch, the
//! node walks the queue, oldest epoch of each datanet first, and asks the chain before acting:
//!
//! - anchored with this root: recorded as submitted, then confirmed once `confirmations`
//!   blocks stand on it;
//! - submitted but the transaction is gone (dropped, reverted, or its block reorganised away):
//!   sent again;
//! - queued, with signatures of more than the threshold of stake: the epoch's leader sends it
//!   at once, any other validator after [`BACKUP_EPOCHS`] epochs of waiting;
//! - below the hub's next epoch without an anchor (a later epoch went first): recorded as
//!   skipped, so the datanet's later epochs move on.
//!
//! The hub refuses a second anchor of an epoch and any epoch below its next one, so a
//! restart, a race between leader and backup, or a resubmission after a reorg never anchors
//! twice; and a later epoch is never sent while an earlier one waits, so none is skipped.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use datanet_chain::{Address, ChainParams, EvmKey, Hub, HubClient, HubStakes, TxHash, U256};
use datanet_net::{Judgement, NetHandle};
use datanet_protocol::quorum_message::{AnchorSignature, QuorumMessage};
use datanet_protocol::signed::leader;
use datanet_protocol::{Datanet, DatanetId, Hash, SecretKey};
use datanet_storage::{Anchor, AnchorState, AsyncStore};
use tokio_util::sync::CancellationToken;

use crate::events::{Events, NodeEvent};
use crate::quorum::sets::CHAIN_SET_LAG;

/// Epochs a queued anchor waits for its leader before any validator sends it.
const BACKUP_EPOCHS: u32 = 2;
/// Epochs an anchor transaction may wait unmined before it is replaced with higher fees.
const BUMP_EPOCHS: u32 = 2;
/// Epochs whose signatures are held in memory; older ones are dropped.
const KEEP_SIGNATURE_EPOCHS: usize = 64;
/// How long the hub's stakes of a datanet are reused before they are read again.
const STAKES_FRESH_FOR: Duration = Duration::from_secs(10);
/// The shortest and longest pause between two passes over the queue; failures back off
/// from one to the other.
const MIN_PASS: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The anchor transaction of each (datanet, epoch) waiting to be mined, and since when.
type SentAt = HashMap<(DatanetId, u64), (TxHash, Instant)>;

/// The anchor signatures held, by (datanet, epoch), then by signer.
type Signatures = BTreeMap<(DatanetId, u64), BTreeMap<Address, AnchorSignature>>;

/// What `datanet status` shows of anchoring.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnchoringStatus {
    /// The hub's address and the chain id, as configured.
    pub hub: String,
    /// The chain id.
    pub chain_id: u64,
    /// Epoch batches not yet confirmed on chain.
    pub pending: usize,
    /// The chain's latest block as last read, for counting an anchor's confirmations.
    pub head: Option<u64>,
    /// The last failure talking to the chain, if the last pass failed.
    pub last_error: Option<String>,
}

/// The anchoring of one node.
#[derive(Clone)]
pub(crate) struct Anchoring {
    params: ChainParams,
    evm: Option<EvmKey>,
    validator: Option<Arc<SecretKey>>,
    store: AsyncStore,
    net: NetHandle,
    events: Events,
    epoch: Duration,
    hub: Arc<tokio::sync::Mutex<Option<Arc<dyn HubClient>>>>,
    signatures: Arc<Mutex<Signatures>>,
    stakes: Arc<Mutex<HashMap<DatanetId, (Instant, HubStakes)>>>,
    queued_at: Arc<Mutex<HashMap<(DatanetId, u64), Instant>>>,
    sent_at: Arc<Mutex<SentAt>>,
    status: Arc<Mutex<AnchoringStatus>>,
}

impl Anchoring {
    /// Anchoring to the hub of `params`, signing with `evm` when this node validates with
    /// `validator`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        params: ChainParams,
        evm: Option<EvmKey>,
        validator: Option<Arc<SecretKey>>,
        store: AsyncStore,
        net: NetHandle,
        events: Events,
        epoch: Duration,
    ) -> Self {
        let status = AnchoringStatus {
            hub: params.hub.to_string(),
            chain_id: params.chain_id,
            ..AnchoringStatus::default()
        };
        Anchoring {
            params,
            evm,
            validator,
            store,
            net,
            events,
            epoch,
            hub: Arc::default(),
            signatures: Arc::default(),
            stakes: Arc::default(),
            queued_at: Arc::default(),
            sent_at: Arc::default(),
            status: Arc::new(Mutex::new(status)),
        }
    }

    /// Where anchoring stands.
    pub(crate) fn status(&self) -> AnchoringStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Registers `record`'s datanet on the hub, owned by this node's EVM address; the
    /// transaction hash.
    ///
    /// # Errors
    /// The chain's refusal or failure, as text for the caller to show.
    pub(crate) async fn register_datanet(&self, record: &Datanet) -> Result<TxHash, String> {
        let hub = self.hub().await.map_err(|e| e.to_string())?;
        hub.register_datanet(record)
            .await
            .map_err(|e| e.to_string())
    }

    /// Binds this node's validator key to its EVM address on the hub (unless it is bound
    /// already) and, with `stake`, stakes that many wei of OPEN on the datanet. The
    /// transactions sent.
    ///
    /// # Errors
    /// No validator or EVM key here, or the chain's refusal or failure, as text.
    pub(crate) async fn register_validator(
        &self,
        stake: Option<(DatanetId, U256)>,
    ) -> Result<Vec<TxHash>, String> {
        let (Some(validator), Some(evm)) = (&self.validator, &self.evm) else {
            return Err("this node has no validator key or no EVM key (datanet init --validator makes both)".into());
        };
        let hub = self.hub().await.map_err(|e| e.to_string())?;
        let mut sent = Vec::new();
        match hub
            .key_owner(&validator.public())
            .await
            .map_err(|e| e.to_string())?
        {
            Some(owner) if owner == evm.address() => {}
            Some(owner) => {
                return Err(format!(
                    "validator key {} is bound to {owner}, not to this node's EVM address {}",
                    validator.public(),
                    evm.address()
                ))
            }
            None => sent.push(
                hub.register_validator(validator)
                    .await
                    .map_err(|e| e.to_string())?,
            ),
        }
        if let Some((datanet, amount)) = stake {
            sent.push(
                hub.stake(datanet, amount)
                    .await
                    .map_err(|e| e.to_string())?,
            );
            self.stakes
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&datanet);
        }
        Ok(sent)
    }

    /// The rewards root of `datanet`'s final batch of `epoch` as stored here; zero when the
    /// batch pays nothing or is not here.
    async fn rewards_root(&self, datanet: DatanetId, epoch: u64) -> Hash {
        self.store
            .run(move |s| s.batch(&datanet, epoch))
            .await
            .ok()
            .flatten()
            .map_or(Hash([0; 32]), |b| b.proposal.body().rewards_root)
    }

    /// The connected hub client, connecting first if needed.
    pub(crate) async fn hub(&self) -> Result<Arc<dyn HubClient>, datanet_chain::ChainError> {
        let mut hub = self.hub.lock().await;
        if let Some(hub) = hub.as_ref() {
            return Ok(Arc::clone(hub));
        }
        let connected: Arc<dyn HubClient> =
            Arc::new(Hub::connect(self.params.clone(), self.evm.as_ref()).await?);
        tracing::info!(hub = %self.params.hub, chain = self.params.chain_id, "connected to the chain");
        *hub = Some(Arc::clone(&connected));
        Ok(connected)
    }

    /// The hub's stakes of `datanet`, read again when older than [`STAKES_FRESH_FOR`] or when
    /// `fresh` is asked for.
    async fn stakes(&self, datanet: DatanetId, fresh: bool) -> Option<HubStakes> {
        if !fresh {
            let cached = self.stakes.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, stakes)) = cached.get(&datanet) {
                if at.elapsed() < STAKES_FRESH_FOR {
                    return Some(stakes.clone());
                }
            }
        }
        let stakes = self.hub().await.ok()?.stakes(datanet).await.ok()??;
        self.stakes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(datanet, (Instant::now(), stakes.clone()));
        Some(stakes)
    }

    /// Judges a gossiped anchor signature: kept when it recovers to a staker of the datanet
    /// and signs the root this node holds (or any root, before its batch is here).
    pub(crate) async fn judge(&self, datanet: DatanetId, signature: AnchorSignature) -> Judgement {
        if signature.datanet != datanet {
            return Judgement::Reject;
        }
        let message = self.params.anchor_message(
            datanet,
            signature.epoch,
            signature.batch_root,
            signature.rewards_root,
        );
        let Some(signer) = message.signer(&signature.signature) else {
            return Judgement::Reject;
        };
        let Some(stakes) = self.stakes(datanet, false).await else {
            return Judgement::Ignore;
        };
        if !stakes.by_owner.contains_key(&signer) {
            return Judgement::Reject;
        }
        let epoch = signature.epoch;
        let queued = self
            .store
            .run(move |s| Ok((s.anchor(&datanet, epoch)?, s.batch(&datanet, epoch)?)))
            .await;
        let held = queued.map(|(anchor, batch)| {
            let paid_by = batch.map(|b| b.proposal.body().rewards_root);
            (anchor, paid_by)
        });
        match held {
            Ok((_, Some(rewards_root))) if rewards_root != signature.rewards_root => {
                return Judgement::Reject
            }
            Ok((Some(anchor), _)) if anchor.batch_root != signature.batch_root => {
                return Judgement::Reject
            }
            Ok((
                Some(Anchor {
                    state: AnchorState::Confirmed { .. },
                    ..
                }),
                _,
            )) => return Judgement::Ignore,
            Ok(_) => {}
            Err(_) => return Judgement::Ignore,
        }
        if self.keep(signer, signature) {
            Judgement::Accept
        } else {
            Judgement::Ignore
        }
    }

    /// Holds `signature` by `signer`; whether it was new.
    fn keep(&self, signer: Address, signature: AnchorSignature) -> bool {
        let mut all = self.signatures.lock().unwrap_or_else(|p| p.into_inner());
        let slot = (signature.datanet, signature.epoch);
        let new = all
            .entry(slot)
            .or_default()
            .insert(signer, signature)
            .is_none();
        while all.len() > KEEP_SIGNATURE_EPOCHS {
            all.pop_first();
        }
        new
    }

    /// Signs the anchor message of `datanet`'s `epoch` with this node's EVM key, keeps the
    /// signature and gossips it, if this node is a staked validator of the datanet.
    pub(crate) async fn sign_and_gossip(
        &self,
        datanet: DatanetId,
        epoch: u64,
        batch_root: Hash,
        rewards_root: Hash,
    ) {
        let Some(evm) = &self.evm else {
            return;
        };
        if self.validator.is_none() {
            return;
        }
        let Some(stakes) = self.stakes(datanet, false).await else {
            return;
        };
        if !stakes.by_owner.contains_key(&evm.address()) {
            return;
        }
        let message = self
            .params
            .anchor_message(datanet, epoch, batch_root, rewards_root);
        let Ok(bytes) = message.sign(evm) else {
            return;
        };
        let signature = AnchorSignature {
            datanet,
            epoch,
            batch_root,
            rewards_root: message.rewards_root,
            signature: bytes,
        };
        self.keep(evm.address(), signature);
        if let Err(e) = self
            .net
            .publish_quorum(datanet, &QuorumMessage::AnchorSignature(signature))
            .await
        {
            tracing::debug!(%datanet, epoch, error = %e, "anchor signature not gossiped");
        }
    }

    /// Walks the anchor queue until cancelled: at least every [`MIN_PASS`], a quarter epoch
    /// when epochs are longer; after a failure, backing off up to [`MAX_BACKOFF`].
    pub(crate) async fn run(self, cancel: CancellationToken) {
        let every = (self.epoch / 4).max(MIN_PASS);
        let mut pause = every;
        let mut passes = 0u64;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(pause) => {}
            }
            passes += 1;
            let regossip = passes % 4 == 0;
            let outcome = self.pass(regossip).await;
            let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
            match outcome {
                Ok(pending) => {
                    status.pending = pending;
                    if status.last_error.take().is_some() {
                        tracing::info!("anchoring resumed");
                        self.events.emit(NodeEvent::AnchoringResumed);
                    }
                    pause = every;
                }
                Err(e) => {
                    if status.last_error.as_deref() != Some(e.as_str()) {
                        tracing::warn!(error = %e, retry_in = ?pause * 2, "anchoring paused; retrying");
                        self.events
                            .emit(NodeEvent::AnchoringFailed { error: e.clone() });
                    }
                    status.last_error = Some(e);
                    pause = (pause * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// One pass over the queue: the oldest pending epoch of each datanet moves on. Returns
    /// how many anchors are pending. With `regossip`, this node's signatures of pending
    /// anchors go out again (for peers that restarted or joined since).
    async fn pass(&self, regossip: bool) -> Result<usize, String> {
        let pending = self
            .store
            .run(|s| s.pending_anchors())
            .await
            .map_err(|e| e.to_string())?;
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pending = pending.len();
        let hub = self.hub().await.map_err(|e| e.to_string())?;
        let head = hub.block_number().await.map_err(|e| e.to_string())?;
        self.status.lock().unwrap_or_else(|p| p.into_inner()).head = Some(head);
        if pending.is_empty() {
            return Ok(0);
        }
        let mut oldest: BTreeMap<DatanetId, Anchor> = BTreeMap::new();
        for anchor in &pending {
            let held = self.held(anchor.datanet, anchor.epoch);
            if regossip
                || !held.contains_key(&self.evm.as_ref().map_or(Address::ZERO, EvmKey::address))
            {
                let rewards_root = self.rewards_root(anchor.datanet, anchor.epoch).await;
                self.sign_and_gossip(
                    anchor.datanet,
                    anchor.epoch,
                    anchor.batch_root,
                    rewards_root,
                )
                .await;
            }
            self.queued_at
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry((anchor.datanet, anchor.epoch))
                .or_insert_with(Instant::now);
            oldest
                .entry(anchor.datanet)
                .or_insert_with(|| anchor.clone());
        }
        let waiting: std::collections::HashSet<(DatanetId, u64)> =
            pending.iter().map(|a| (a.datanet, a.epoch)).collect();
        self.queued_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|slot, _| waiting.contains(slot));
        self.sent_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|slot, _| waiting.contains(slot));
        for anchor in oldest.into_values() {
            self.advance(hub.as_ref(), anchor)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(pending.len())
    }

    /// The signatures held for (`datanet`, `epoch`), by signer.
    fn held(&self, datanet: DatanetId, epoch: u64) -> BTreeMap<Address, AnchorSignature> {
        self.signatures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(datanet, epoch))
            .cloned()
            .unwrap_or_default()
    }

    /// Moves one anchor on, as the module documentation describes.
    async fn advance(
        &self,
        hub: &dyn HubClient,
        anchor: Anchor,
    ) -> Result<(), datanet_chain::ChainError> {
        let Anchor {
            datanet,
            epoch,
            batch_root,
            state,
        } = anchor;
        if let Some(on_chain) = hub.anchored(datanet, epoch).await? {
            if on_chain.batch_root != batch_root {
                tracing::error!(%datanet, epoch, ours = %batch_root, chain = %on_chain.batch_root,
                    "the chain anchored another root for this epoch");
                return Ok(());
            }
            let tx = Hash(on_chain.tx.0);
            let confirmations = hub.block_number().await?.saturating_sub(on_chain.block) + 1;
            let next = if confirmations >= self.params.confirmations.max(1) {
                AnchorState::Confirmed {
                    tx,
                    block: on_chain.block,
                }
            } else {
                AnchorState::Submitted { tx, nonce: 0 }
            };
            if next != state
                && matches!(next, AnchorState::Confirmed { .. })
                && !self
                    .adopt_chain_set(hub, datanet, epoch, on_chain.block)
                    .await?
            {
                return Ok(());
            }
            if next != state {
                self.set_state(datanet, epoch, next).await;
                if let AnchorState::Confirmed { block, .. } = next {
                    tracing::info!(%datanet, epoch, %batch_root, tx = %on_chain.tx, block, "batch anchored");
                    self.events.emit(NodeEvent::Anchored {
                        datanet,
                        epoch,
                        root: batch_root,
                        tx,
                        block,
                    });
                }
            }
            return Ok(());
        }
        let Some(stakes) = self.stakes(datanet, true).await else {
            return Ok(());
        };
        if stakes.next_epoch > epoch {
            tracing::error!(%datanet, epoch, next = stakes.next_epoch,
                "a later epoch was anchored first; this one can no longer be");
            self.set_state(datanet, epoch, AnchorState::Skipped).await;
            return Ok(());
        }
        let mut replacing = None;
        if let AnchorState::Submitted { tx, .. } = state {
            let tx = TxHash::from(tx.0);
            match hub.receipt(tx).await? {
                Some((_, true)) => return Ok(()),
                Some((_, false)) => {
                    tracing::warn!(%datanet, epoch, %tx, "anchor reverted; sending again")
                }
                None if hub.is_pending(tx).await? => {
                    if !self.stuck(datanet, epoch, tx) {
                        return Ok(());
                    }
                    tracing::warn!(%datanet, epoch, %tx,
                        "anchor not mined for {BUMP_EPOCHS} epochs; replacing it with higher fees");
                    replacing = Some(tx);
                }
                None => {
                    tracing::warn!(%datanet, epoch, %tx, "anchor transaction gone; sending again")
                }
            }
        }
        if self.evm.is_none() || self.validator.is_none() {
            return Ok(());
        }
        let rewards_root = self.rewards_root(datanet, epoch).await;
        let held = self.held(datanet, epoch);
        let signs =
            |s: &AnchorSignature| s.batch_root == batch_root && s.rewards_root == rewards_root;
        let signatures: Vec<[u8; 65]> = held
            .values()
            .filter(|s| signs(s))
            .map(|s| s.signature)
            .collect();
        let signers: Vec<Address> = held
            .iter()
            .filter(|(_, s)| signs(s))
            .map(|(a, _)| *a)
            .collect();
        if !stakes.reached(&signers) || (replacing.is_none() && !self.my_turn(datanet, epoch).await)
        {
            return Ok(());
        }
        let message = self
            .params
            .anchor_message(datanet, epoch, batch_root, rewards_root);
        let sent = hub.submit_anchor(&message, &signatures, replacing).await?;
        tracing::info!(%datanet, epoch, tx = %sent.tx, nonce = sent.nonce, signers = signers.len(), "anchor sent");
        self.stuck(datanet, epoch, sent.tx);
        self.set_state(
            datanet,
            epoch,
            AnchorState::Submitted {
                tx: Hash(sent.tx.0),
                nonce: sent.nonce,
            },
        )
        .await;
        Ok(())
    }

    /// Whether anchor transaction `tx` of (`datanet`, `epoch`) has waited unmined for
    /// [`BUMP_EPOCHS`] epochs since this node first saw it pending.
    fn stuck(&self, datanet: DatanetId, epoch: u64, tx: TxHash) -> bool {
        let mut sent = self.sent_at.lock().unwrap_or_else(|p| p.into_inner());
        let (seen, at) = sent
            .entry((datanet, epoch))
            .or_insert_with(|| (tx, Instant::now()));
        if *seen != tx {
            *seen = tx;
            *at = Instant::now();
        }
        at.elapsed() >= self.epoch * BUMP_EPOCHS
    }

    /// Records the hub's validator set of `datanet` as of `block`, where its `epoch` was
    /// anchored, as the set that validates it from epoch `epoch +` [`CHAIN_SET_LAG`] on
    /// (see [`crate::quorum::sets`]); before the anchor is recorded confirmed, so a restart
    /// in between reads it again. A hub entry with another policy hash than the record, a
    /// key the record does not list, or another threshold, is not the record's datanet
    /// (someone registered its id first): its set is refused and logged. `false` when the
    /// store failed, so the anchor is not recorded confirmed yet.
    async fn adopt_chain_set(
        &self,
        hub: &dyn HubClient,
        datanet: DatanetId,
        epoch: u64,
        block: u64,
    ) -> Result<bool, datanet_chain::ChainError> {
        let Some(set) = hub.validator_set(datanet, Some(block)).await? else {
            return Ok(true);
        };
        let policy = hub.datanet(datanet).await?.map(|d| d.policy_hash);
        let from = epoch + CHAIN_SET_LAG;
        let adopted = self
            .store
            .run(move |s| {
                let Some(record) = s.datanet(&datanet)? else {
                    return Ok(Err("its record is not held here".to_owned()));
                };
                let listed = record.body().validators.clone();
                let fits = policy == Some(record.body().policy.hash())
                    && listed.as_ref().is_some_and(|listed| {
                        listed.threshold() == set.threshold()
                            && set.validators().all(|v| listed.stake(&v.key).is_some())
                    });
                if !fits {
                    return Ok(Err(
                        "the hub lists another policy, keys or threshold than the datanet record"
                            .to_owned(),
                    ));
                }
                if crate::quorum::sets::set_at(s, &record, from)?
                    .is_some_and(|s| s.id() == set.id())
                {
                    return Ok(Ok(false));
                }
                s.put_chain_set(&datanet, from, &set).map(Ok)
            })
            .await;
        match adopted {
            Ok(Ok(true)) => {
                tracing::info!(%datanet, from_epoch = from, block, "validator set taken from the hub")
            }
            Ok(Ok(false)) => {}
            Ok(Err(why)) => {
                tracing::error!(%datanet, block, why, "the hub's validator set is not adopted")
            }
            Err(e) => {
                tracing::warn!(%datanet, error = %e, "validator set from the hub not stored");
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether this node sends the anchor of (`datanet`, `epoch`) now: its validator leads the
    /// epoch, or the anchor has waited [`BACKUP_EPOCHS`] epochs.
    async fn my_turn(&self, datanet: DatanetId, epoch: u64) -> bool {
        let waited = self
            .queued_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(datanet, epoch))
            .is_some_and(|at| at.elapsed() >= self.epoch * BACKUP_EPOCHS);
        if waited {
            return true;
        }
        let Some(me) = self.validator.as_ref().map(|k| k.public()) else {
            return false;
        };
        let set = self
            .store
            .run(move |s| match s.datanet(&datanet)? {
                Some(record) => crate::quorum::sets::set_at(s, &record, epoch),
                None => Ok(None),
            })
            .await;
        let leads = set
            .ok()
            .flatten()
            .and_then(|set| leader(&set, &datanet, epoch));
        leads == Some(me)
    }

    async fn set_state(&self, datanet: DatanetId, epoch: u64, state: AnchorState) {
        let stored = self
            .store
            .run(move |s| s.set_anchor_state(&datanet, epoch, state))
            .await;
        if let Err(e) = stored {
            tracing::warn!(%datanet, epoch, error = %e, "anchor state not stored");
        }
    }
}

/// Starts anchoring if `params` names a chain: a task walking the queue until `cancel`.
pub(crate) fn start(
    anchoring: Option<Anchoring>,
    tasks: &tokio_util::task::TaskTracker,
    cancel: &CancellationToken,
) {
    match anchoring {
        Some(anchoring) => {
            tasks.spawn(anchoring.run(cancel.clone()));
        }
        None => tracing::info!(
            "anchoring is off: no [chain] is configured, so final batches stay off chain"
        ),
    }
}
