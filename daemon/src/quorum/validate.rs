//! The validator: for each contribution to a datanet whose validator set lists this node's
//! validator key, retrieve the whole payload, check it against the datanet's policy while it
//! streams in, then sign the verdict, store it and gossip it. A validator attests each
//! contribution once: its attestation is stored before it is sent, and one stored already is
//! only sent again.
//!
//! Retrieval itself proves the chunks: every chunk is checked against its id, every rebuilt
//! square against its DA root (a badly encoded one yields a fraud proof), and the payload
//! against its hash.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use datanet_net::NetEvent;
use datanet_policy::{check_admission, NewRecords, Rules, Violation};
use datanet_protocol::quorum_message::QuorumMessage;
use datanet_protocol::signed::{DuplicateRule, ReasonCode, Verdict};
use datanet_protocol::sync::IdPrefix;
use datanet_protocol::{Attestation, AttestationBody, ContributionId, Manifest, SecretKey};
use datanet_storage::{Store, StoreError};
use futures::StreamExt;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::sets::newest_of;
use super::Quorum;
use crate::retrieval::Retriever;
use crate::NodeError;

/// How often the validator looks through its datanets for contributions it has not judged
/// (learned by catch-up, or missed while it was down) and sends its stored verdicts again.
const SWEEP: Duration = Duration::from_secs(10);
/// How long a contribution that could not be retrieved waits before the next try.
const RETRY: Duration = Duration::from_secs(2);
/// How old a contribution must be (by its manifest's time), beyond the time its dispersal
/// may take, before a sweep takes it without a column of its last chunk here.
const SWEEP_AFTER_MS: u64 = 10_000;
/// The slowest dispersal the sweep waits for: 4 MiB/s.
const SWEEP_DISPERSAL_BYTES_PER_S: u64 = 4 << 20;
/// Contributions of one datanet looked at per sweep.
const SWEEP_AT_MOST: usize = 100_000;
/// Chunks handed to the checker ahead of the one it is checking.
const CHUNKS_AHEAD: usize = 2;

/// A validator at work.
pub(crate) struct Validator {
    pub(crate) key: Arc<SecretKey>,
    pub(crate) quorum: Quorum,
    pub(crate) retriever: Retriever,
    pub(crate) retrieve_timeout: Duration,
    pub(crate) tasks: TaskTracker,
    pub(crate) cancel: CancellationToken,
}

/// The verdict on one contribution, before it is signed.
#[derive(Debug)]
pub(crate) struct Judged {
    reason: ReasonCode,
    message: String,
    /// The hashes of its records the datanet did not hold, to index once accepted.
    new_records: NewRecords,
}

impl Judged {
    fn accept(new_records: NewRecords) -> Self {
        Judged {
            reason: ReasonCode::Ok,
            message: String::new(),
            new_records,
        }
    }

    fn reject(reason: ReasonCode, message: impl Into<String>) -> Self {
        Judged {
            reason,
            message: message.into(),
            new_records: NewRecords::in_memory(Vec::new()),
        }
    }

    fn violation(v: &Violation) -> Self {
        Judged::reject(v.reason(), v.to_string())
    }
}

impl Validator {
    /// Judges contributions as they are announced, as this node makes them (`own`) and as
    /// sweeps find them, one at a time, until cancelled.
    pub(crate) async fn run(
        self,
        mut announced: broadcast::Receiver<NetEvent>,
        mut own: mpsc::Receiver<ContributionId>,
        cancel: CancellationToken,
    ) {
        let mut queue: VecDeque<(ContributionId, Instant, Instant)> = VecDeque::new();
        let mut queued: BTreeSet<ContributionId> = BTreeSet::new();
        let mut sweep = tokio::time::interval(SWEEP);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let now = Instant::now();
            let next_due = queue.iter().map(|(_, _, due)| *due).min();
            let wait = next_due.map_or(SWEEP, |due| due.saturating_duration_since(now));
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                id = own.recv() => match id {
                    Some(id) => {
                        if queued.insert(id) {
                            queue.push_back((id, now, now));
                        }
                    }
                    None => break,
                },
                event = announced.recv() => match event {
                    Ok(NetEvent::Announced(manifest)) => {
                        let id = manifest.id();
                        if queued.insert(id) {
                            queue.push_back((id, now, now));
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                    _ => {}
                },
                _ = sweep.tick() => {
                    if let Err(e) = self.settle_owed_records().await {
                        tracing::warn!(error = %e, "owed records not added yet");
                    }
                    match self.sweep().await {
                        Ok(found) => {
                            for id in found {
                                if queued.insert(id) {
                                    queue.push_back((id, now, now));
                                }
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "validator sweep failed"),
                    }
                }
                _ = tokio::time::sleep(wait), if next_due.is_some() => {
                    let Some(pos) = queue.iter().position(|(_, _, due)| *due <= Instant::now()) else {
                        continue;
                    };
                    let Some((id, first, _)) = queue.remove(pos) else {
                        continue;
                    };
                    match cancel.run_until_cancelled(self.attest(id, first)).await {
                        None => break,
                        Some(Ok(true)) => {
                            queued.remove(&id);
                        }
                        Some(Ok(false)) => queue.push_back((id, first, Instant::now() + RETRY)),
                        Some(Err(e)) => {
                            tracing::warn!(contribution = %id, error = %e, "not validated");
                            queue.push_back((id, first, Instant::now() + RETRY));
                        }
                    }
                }
            }
        }
    }

    /// The contributions this validator has not attested, in the datanets it validates;
    /// the attestations it stored already are gossiped again (a restart may have cut one
    /// off before it went out).
    async fn sweep(&self) -> Result<Vec<ContributionId>, NodeError> {
        let me = self.key.public();
        let (missing, mine) = self
            .quorum
            .store
            .run(move |s| {
                let mut missing = Vec::new();
                let mut mine = Vec::new();
                for datanet in s.datanets()? {
                    let Some(set) =
                        super::sets::newest(s, &datanet)?.filter(|set| set.stake(&me).is_some())
                    else {
                        continue;
                    };
                    let id = datanet.id();
                    for c in s.contributions_in(&id, &IdPrefix::ALL, SWEEP_AT_MOST)? {
                        match own_attestation(s, &c, &me)? {
                            Some(a) => {
                                let certified = s
                                    .certificate(&c)?
                                    .is_some_and(|qc| qc.validator_set == set.id());
                                if !certified {
                                    mine.push((id, a));
                                }
                            }
                            None => {
                                if dispersed(s, &c)? {
                                    missing.push(c);
                                }
                            }
                        }
                    }
                }
                Ok((missing, mine))
            })
            .await?;
        for (datanet, attestation) in mine {
            let message = QuorumMessage::Attestation(attestation);
            self.quorum.net.publish_quorum(datanet, &message).await?;
        }
        Ok(missing)
    }

    /// Judges contribution `id` and attests it, unless this node does not validate its
    /// datanet or attested it already. `Ok(false)` when it could not be retrieved yet and
    /// `first` (the first try) is less than the retrieve timeout ago: try again later.
    async fn attest(&self, id: ContributionId, first: Instant) -> Result<bool, NodeError> {
        let me = self.key.public();
        let manifest = match self.retriever.manifest(id).await {
            Ok((manifest, _)) => manifest,
            Err(NodeError::UnknownContribution(_)) => {
                return Ok(first.elapsed() >= self.retrieve_timeout);
            }
            Err(e) => return Err(e),
        };
        let stored = manifest.clone();
        let (set, already) = self
            .quorum
            .store
            .run(move |s| {
                Ok((
                    newest_of(s, &stored)?,
                    own_attestation(s, &stored.id(), &me)?,
                ))
            })
            .await?;
        if set.is_none_or(|set| set.stake(&me).is_none()) || already.is_some() {
            return Ok(true);
        }
        let started = Instant::now();
        let judged = match self.judge(&manifest).await? {
            Some(judged) => judged,
            None if first.elapsed() < self.retrieve_timeout => return Ok(false),
            None => Judged::reject(
                ReasonCode::Unavailable,
                format!(
                    "could not be retrieved within {} s",
                    self.retrieve_timeout.as_secs()
                ),
            ),
        };
        let body = match judged.reason {
            ReasonCode::Ok => AttestationBody::accept(id, me),
            reason => AttestationBody::reject(id, me, reason, &judged.message),
        };
        let attestation = Attestation::sign(body, &self.key)
            .map_err(|e| NodeError::Internal(format!("signing an attestation: {e}")))?;
        let datanet = manifest.body().datanet;
        let records = match attestation.body().verdict {
            Verdict::Accept if !judged.new_records.is_empty() => Some(judged.new_records),
            _ => None,
        };
        self.quorum
            .record_own(datanet, attestation.clone(), records.is_some())
            .await?;
        tracing::info!(contribution = %id, verdict = ?attestation.body().verdict,
            reason = ?attestation.body().reason, ms = started.elapsed().as_millis(), "attested");
        let message = QuorumMessage::Attestation(attestation);
        self.quorum.net.publish_quorum(datanet, &message).await?;
        if let Some(records) = records {
            self.add_records(datanet, id, records).await?;
        }
        Ok(true)
    }

    /// Adds the records of `id`, which this validator accepted, to the record index and
    /// clears the note that they were owed. After the attestation has gone out, so the write
    /// never delays the vote; a crash before it leaves the note.
    async fn add_records(
        &self,
        datanet: datanet_protocol::DatanetId,
        id: ContributionId,
        records: NewRecords,
    ) -> Result<(), NodeError> {
        Ok(self
            .quorum
            .store
            .run(move |s| s.add_owed_records(&datanet, &id, records))
            .await?)
    }

    /// Adds the records still owed by accepting attestations stored before a crash: each such
    /// contribution is read again for the records the index lacks (repeats allowed, since
    /// some of its own may be in the index already).
    async fn settle_owed_records(&self) -> Result<(), NodeError> {
        let owed = self.quorum.store.run(|s| s.records_owed()).await?;
        for (datanet, id) in owed {
            let manifest = self.retriever.manifest(id).await?.0;
            let store = self.quorum.store.blocking().clone();
            let Some(record) = store.datanet(&datanet)? else {
                continue;
            };
            let mut policy = record.body().policy.clone();
            if let Some(rules) = policy.records.as_mut() {
                rules.max_repeat_ppm = datanet_protocol::signed::PPM;
            }
            let rules = Rules::new(&policy).map_err(|e| NodeError::Invalid(e.to_string()))?;
            let records = match self.check_content(&manifest, rules).await? {
                Some(Ok(accepted)) => accepted.new_records,
                Some(Err(_)) => NewRecords::in_memory(Vec::new()),
                None => continue,
            };
            self.add_records(datanet, id, records).await?;
        }
        Ok(())
    }

    /// The verdict on `manifest`'s contribution, or `None` when its payload could not be
    /// retrieved (yet).
    async fn judge(&self, manifest: &Manifest) -> Result<Option<Judged>, NodeError> {
        if manifest.verify().is_err() {
            return Ok(Some(Judged::reject(
                ReasonCode::BadSignature,
                "the manifest's signature does not verify",
            )));
        }
        let body = manifest.body().clone();
        let id = manifest.id();
        let store = self.quorum.store.blocking().clone();
        let datanet = store
            .datanet(&body.datanet)?
            .ok_or(NodeError::UnknownDatanet(body.datanet))?;
        let policy = datanet.body().policy.clone();
        if let Err(v) = check_admission(&policy, &body.media_type, body.payload_len) {
            return Ok(Some(Judged::violation(&v)));
        }
        if policy.duplicates == DuplicateRule::Reject {
            let (datanet, payload) = (body.datanet, body.payload_hash);
            let twin = self
                .quorum
                .store
                .run(move |s| s.accepted_payload(&datanet, &payload))
                .await?
                .filter(|twin| *twin != id);
            if let Some(twin) = twin {
                return Ok(Some(Judged::reject(
                    ReasonCode::Duplicate,
                    format!("the payload is the same as that of accepted contribution {twin}"),
                )));
            }
        }
        let rules = match Rules::new(&policy) {
            Ok(rules) => rules,
            Err(e) => return Ok(Some(Judged::reject(ReasonCode::Schema, e.to_string()))),
        };
        match self.check_content(manifest, rules).await {
            Ok(Some(Ok(accepted))) => Ok(Some(Judged::accept(accepted.new_records))),
            Ok(Some(Err(v))) => Ok(Some(Judged::violation(&v))),
            Ok(None) => Ok(None),
            Err(e) if proves_wrong(&e) => Ok(retrieval_verdict(e)),
            Err(e) => Err(e),
        }
    }

    /// Streams `manifest`'s payload, retrieved (and so proven), through the content checker
    /// `rules` with the datanet's record index. `None` when it could not be retrieved
    /// (yet). The checker spills the record hashes to the store's scratch folder, so a
    /// payload of millions of records holds one run of them in memory, not all.
    ///
    /// # Errors
    /// A retrieval error that proves the data wrong (for [`retrieval_verdict`]), or a store
    /// or task error.
    async fn check_content(
        &self,
        manifest: &Manifest,
        rules: Rules,
    ) -> Result<Option<Result<datanet_policy::Accepted, Violation>>, NodeError> {
        let store = self.quorum.store.blocking().clone();
        let (manifest, mut chunks) = match self
            .retriever
            .read(manifest.id(), 0, &self.tasks, self.cancel.clone())
            .await
        {
            Ok(read) => read,
            Err(e) if proves_wrong(&e) => return Err(e),
            Err(_) => return Ok(None),
        };
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(CHUNKS_AHEAD);
        let datanet_id = manifest.body().datanet;
        let checker = tokio::task::spawn_blocking(move || {
            let seen = store.seen_records(&datanet_id);
            let mut check = rules.check(&seen);
            if let Some(scratch) = store.scratch_dir() {
                check = check.spill_to(scratch);
            }
            for chunk in rx {
                check.feed(&chunk);
            }
            let verdict = check.finish();
            seen.finish()?;
            verdict.map_err(|e| StoreError::io("spilling record hashes", e))
        });
        let mut failed = None;
        while let Some(chunk) = chunks.next().await {
            match chunk {
                Ok(bytes) => {
                    if tx.send(bytes).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        drop(tx);
        let verdict = checker
            .await
            .map_err(|e| NodeError::task("content check", e))??;
        match failed {
            Some(e) if proves_wrong(&e) => Err(e),
            Some(_) => Ok(None),
            None => Ok(Some(verdict)),
        }
    }
}

/// Whether a retrieval failure proves the data wrong (rather than not fetched yet).
fn proves_wrong(e: &NodeError) -> bool {
    matches!(
        e,
        NodeError::BadEncoding(_) | NodeError::ChunkMismatch(_) | NodeError::PayloadMismatch(_)
    )
}

/// The verdict a retrieval failure gives: `None` (try again) when the data could not be
/// fetched, a rejection when it was fetched and proved wrong.
fn retrieval_verdict(e: NodeError) -> Option<Judged> {
    match e {
        NodeError::BadEncoding(root) => Some(Judged::reject(
            ReasonCode::BadEncoding,
            format!("square {root} is badly encoded"),
        )),
        NodeError::ChunkMismatch(chunk) => Some(Judged::reject(
            ReasonCode::ChunkMismatch,
            format!("chunk {chunk} does not match its id"),
        )),
        NodeError::PayloadMismatch(_) => Some(Judged::reject(
            ReasonCode::ChunkMismatch,
            "the payload does not match its hash",
        )),
        other => {
            tracing::debug!(error = %other, "contribution not retrieved yet");
            None
        }
    }
}

/// Whether the sweep should take contribution `id` now: once this node holds a column of its
/// last chunk (dispersal pushes squares in order, so the rest arrived before), or once its
/// manifest is old enough for a dispersal at [`SWEEP_DISPERSAL_BYTES_PER_S`] to be over
/// (a node that custodies none of that square). A contribution still being dispersed is
/// left to its announcement, so no validator reads a large one while its columns are still
/// on their way.
fn dispersed(store: &Store, id: &ContributionId) -> Result<bool, StoreError> {
    let Some(manifest) = store.manifest(id)? else {
        return Ok(false);
    };
    let body = manifest.body();
    let dispersal_ms = body.payload_len.saturating_mul(1000) / SWEEP_DISPERSAL_BYTES_PER_S;
    let age = crate::clock::now_ms().saturating_sub(body.timestamp_ms);
    if age >= SWEEP_AFTER_MS.saturating_add(dispersal_ms) {
        return Ok(true);
    }
    match body.chunks.last() {
        Some(last) => Ok(!store.column_indices(&last.da_root)?.is_empty()),
        None => Ok(true),
    }
}

/// The attestation `validator` stored on `contribution`, if any.
fn own_attestation(
    store: &Store,
    contribution: &ContributionId,
    validator: &datanet_protocol::PublicKey,
) -> Result<Option<Attestation>, StoreError> {
    Ok(store
        .attestations(contribution)?
        .into_iter()
        .find(|a| a.body().validator == *validator))
}
