//! Quorum: every storage node collects the attestations gossiped on each datanet's quorum
//! topic, keeps them (an equivocating validator's two as evidence), and settles each
//! contribution: its certificate forms as soon as accepting stake passes the threshold, and
//! it is rejected once that can no longer happen. A node with a validator key also judges
//! contributions ([`validate`]) and takes part in epoch batches ([`epochs`]).

pub(crate) mod epochs;
pub mod lifecycle;
pub(crate) mod payouts;
pub(crate) mod rewards;
pub(crate) mod sets;
pub(crate) mod validate;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use datanet_net::{Judgement, NetEvent, NetHandle, QuorumGossip};
use datanet_protocol::quorum_message::QuorumMessage;
use datanet_protocol::{Attestation, ContributionId, DatanetId, PublicKey, QuorumCertificate};
use datanet_storage::{AsyncStore, AttestationOutcome, Store, StoreError};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::events::{Events, NodeEvent};
use lifecycle::{lifecycle, Stage};
use sets::{counted_accepts, newest, newest_of};

/// Attestations held while their contribution's manifest is not stored here yet.
const MAX_WAITING: usize = 4096;
/// How long an attestation waits for its manifest before it is dropped.
const WAIT_AT_MOST: Duration = Duration::from_secs(120);
/// How often waiting attestations are tried again.
const RETRY_WAITING: Duration = Duration::from_secs(2);

/// The node's quorum bookkeeping, shared by the gossip loop, the validator and the epochs.
#[derive(Clone)]
pub(crate) struct Quorum {
    pub(crate) store: AsyncStore,
    pub(crate) net: NetHandle,
    pub(crate) events: Events,
    waiting: Arc<Mutex<VecDeque<(Instant, DatanetId, Attestation)>>>,
    /// When an attestation of each validator was last stored here (ms since the Unix
    /// epoch), since the node started.
    last_heard: Arc<Mutex<HashMap<PublicKey, u64>>>,
}

/// What became of one attestation.
#[derive(Debug, PartialEq, Eq)]
enum Admission {
    /// Invalid; the reason is logged.
    Refused(String),
    /// Its datanet or contribution is not known here yet.
    Waiting,
    /// Stored (or known already), and the contribution's stage before and after.
    Recorded(AttestationOutcome, Stage, Stage),
}

impl Quorum {
    /// Bookkeeping over `store`, gossiping on `net`, telling `events`.
    pub(crate) fn new(store: AsyncStore, net: NetHandle, events: Events) -> Self {
        Quorum {
            store,
            net,
            events,
            waiting: Arc::default(),
            last_heard: Arc::default(),
        }
    }

    /// When this node last stored an attestation of `validator`, since it started.
    pub(crate) fn last_heard(&self, validator: &PublicKey) -> Option<u64> {
        self.last_heard
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(validator)
            .copied()
    }

    /// Judges the quorum messages gossip hands in until cancelled; batch messages go to
    /// `batches` when this node takes part in epochs. Attestations that wait for their
    /// manifest are tried again as manifests arrive and every [`RETRY_WAITING`].
    pub(crate) async fn run(
        self,
        mut gossip: mpsc::Receiver<QuorumGossip>,
        mut net_events: broadcast::Receiver<NetEvent>,
        batches: epochs::Batches,
        cancel: CancellationToken,
    ) {
        let mut retry = tokio::time::interval(RETRY_WAITING);
        retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                next = gossip.recv() => {
                    let Some(QuorumGossip { datanet, message, verdict, .. }) = next else {
                        break;
                    };
                    let judgement = match message {
                        QuorumMessage::Attestation(a) => self.attestation(datanet, a).await,
                        other => batches.judge(datanet, other).await,
                    };
                    verdict.give(judgement);
                }
                event = net_events.recv() => match event {
                    Ok(NetEvent::Announced(_)) => self.retry_waiting().await,
                    Err(broadcast::error::RecvError::Closed) => break,
                    _ => {}
                },
                _ = retry.tick() => self.retry_waiting().await,
            }
        }
    }

    /// Judges a gossiped attestation on `datanet`'s topic and records it if valid.
    async fn attestation(&self, datanet: DatanetId, attestation: Attestation) -> Judgement {
        match self.admit(datanet, attestation.clone(), false).await {
            Ok(Admission::Recorded(AttestationOutcome::Known, ..)) => Judgement::Ignore,
            Ok(Admission::Recorded(..)) => Judgement::Accept,
            Ok(Admission::Waiting) => {
                let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
                if waiting.len() >= MAX_WAITING {
                    waiting.pop_front();
                }
                waiting.push_back((Instant::now(), datanet, attestation));
                Judgement::Ignore
            }
            Ok(Admission::Refused(why)) => {
                tracing::debug!(%datanet, why, "attestation refused");
                Judgement::Reject
            }
            Err(e) => {
                tracing::warn!(error = %e, "attestation not recorded");
                Judgement::Ignore
            }
        }
    }

    /// Tries the waiting attestations again; those whose manifest is still unknown wait on,
    /// up to [`WAIT_AT_MOST`].
    async fn retry_waiting(&self) {
        let due: Vec<_> = {
            let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
            waiting.retain(|(since, ..)| since.elapsed() < WAIT_AT_MOST);
            waiting.drain(..).collect()
        };
        for (since, datanet, attestation) in due {
            match self.admit(datanet, attestation.clone(), false).await {
                Ok(Admission::Waiting) => self
                    .waiting
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_back((since, datanet, attestation)),
                Ok(Admission::Refused(why)) => {
                    tracing::debug!(%datanet, why, "waiting attestation refused");
                }
                Ok(Admission::Recorded(..)) => {}
                Err(e) => tracing::warn!(error = %e, "waiting attestation not recorded"),
            }
        }
    }

    /// Records this node's validator's own attestation (durably, before it is gossiped),
    /// with a note that the contribution's records are owed to the record index when
    /// `owes_records`, and settles the contribution.
    ///
    /// # Errors
    /// A store error, or an attestation the node's own checks refuse.
    pub(crate) async fn record_own(
        &self,
        datanet: DatanetId,
        attestation: Attestation,
        owes_records: bool,
    ) -> Result<(), crate::NodeError> {
        match self.admit(datanet, attestation, owes_records).await? {
            Admission::Recorded(..) => Ok(()),
            Admission::Waiting => Err(crate::NodeError::Internal(
                "own attestation on a contribution not stored here".into(),
            )),
            Admission::Refused(why) => Err(crate::NodeError::Internal(format!(
                "own attestation refused: {why}"
            ))),
        }
    }

    /// Checks `attestation` against what the store knows of `datanet` and its contribution,
    /// stores it (noting its records owed, for this node's own accepting attestation),
    /// settles the contribution and tells the events.
    async fn admit(
        &self,
        datanet: DatanetId,
        attestation: Attestation,
        owes_records: bool,
    ) -> Result<Admission, StoreError> {
        let admission = self
            .store
            .run(move |s| {
                admit_blocking(s, datanet, &attestation, owes_records).map(|a| (a, attestation))
            })
            .await?;
        if let (Admission::Recorded(outcome, before, after), attestation) = &admission {
            let body = attestation.body();
            if *outcome != AttestationOutcome::Known {
                self.last_heard
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(body.validator, crate::clock::now_ms());
                self.events.emit(NodeEvent::Attested {
                    contribution: body.contribution,
                    validator: body.validator,
                    verdict: body.verdict,
                });
            }
            if let AttestationOutcome::Equivocation(_) = outcome {
                tracing::warn!(validator = %body.validator, contribution = %body.contribution,
                    "validator signed two verdicts on one contribution: both kept as evidence");
            }
            if before != after && matches!(after, Stage::Accepted | Stage::Rejected) {
                self.events.emit(NodeEvent::Settled {
                    contribution: body.contribution,
                    stage: *after,
                });
            }
        }
        Ok(admission.0)
    }
}

/// [`Quorum::admit`] on the blocking pool: the attestation's validator must be in the set of
/// the datanet whose topic carried it, its contribution of that datanet, its signature good.
fn admit_blocking(
    store: &Store,
    topic: DatanetId,
    attestation: &Attestation,
    owes_records: bool,
) -> Result<Admission, StoreError> {
    let body = attestation.body();
    let Some(record) = store.datanet(&topic)? else {
        return Ok(Admission::Waiting);
    };
    let Some(set) = newest(store, &record)? else {
        return Ok(Admission::Refused(format!(
            "datanet {topic} has no validators"
        )));
    };
    if set.stake(&body.validator).is_none() {
        return Ok(Admission::Refused(format!(
            "{} is not a validator of {topic}",
            body.validator
        )));
    }
    let Some(manifest) = store.manifest(&body.contribution)? else {
        return Ok(Admission::Waiting);
    };
    if manifest.body().datanet != topic {
        return Ok(Admission::Refused(format!(
            "contribution {} is not of datanet {topic}",
            body.contribution
        )));
    }
    let before = stage_of(store, &body.contribution)?;
    let stored = if owes_records {
        store.put_attestation_owing_records(attestation, &topic)
    } else {
        store.put_attestation(attestation)
    };
    let outcome = match stored {
        Ok(outcome) => outcome,
        Err(StoreError::Invalid(why)) => return Ok(Admission::Refused(why)),
        Err(e) => return Err(e),
    };
    if outcome != AttestationOutcome::Known {
        settle(store, &body.contribution)?;
    }
    let after = stage_of(store, &body.contribution)?;
    Ok(Admission::Recorded(outcome, before, after))
}

fn stage_of(store: &Store, id: &ContributionId) -> Result<Stage, StoreError> {
    Ok(lifecycle(store, id)?.map_or(Stage::Stored, |l| l.stage))
}

/// Forms and stores the certificate of contribution `id` if its accepting stake passes the
/// threshold and none is stored yet; equivocators' votes are left out.
fn settle(store: &Store, id: &ContributionId) -> Result<(), StoreError> {
    if store.certificate(id)?.is_some() {
        return Ok(());
    }
    let Some(manifest) = store.manifest(id)? else {
        return Ok(());
    };
    let Some(set) = newest_of(store, &manifest)? else {
        return Ok(());
    };
    if let Ok(qc) = QuorumCertificate::form(&set, *id, &counted_accepts(store, id)?) {
        store.put_certificate(&manifest, &qc)?;
    }
    Ok(())
}
