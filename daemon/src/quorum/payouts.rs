//! Attribution records on a datanet's quorum topic, and the payments a batch makes by them.
//!
//! A node that attributes recomputes every record it hears from its own index (the model's
//! version of the record's datanet, with the record's minimum span) and keeps the record only
//! when the weights come out the same; a wrong record is refused, so its sender is penalised
//! and it goes no further. A record it cannot check yet (its model or the version's anchor
//! not seen here yet) is held and tried again several times an epoch, for ten minutes. A
//! node that does not attribute checks what it can (the signature, the model and its
//! operator) and passes the record on. A leader pays by the records it holds; a validator
//! votes for a proposal's payments only after recomputing them ([`super::rewards`]) against
//! the pool it reads on chain itself.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use datanet_attribution::Attribution;
use datanet_net::Judgement;
use datanet_protocol::signed::{AttributionSubmission, ProposalBody};
use datanet_protocol::{DatanetId, PublicKey};

use super::epochs::Batches;
use super::rewards::{weights_of, Ledger};

/// Records held for a later try, at most.
const MAX_LATER: usize = 256;
/// How long a record is tried again before it is dropped.
const LATER_AT_MOST: Duration = Duration::from_secs(600);

/// What became of one attribution record.
#[derive(Debug, PartialEq, Eq)]
enum Admission {
    /// Wrong: bad signature, another datanet, a key that does not operate the model, or
    /// weights that are not the ones recomputed here.
    Refused,
    /// Known here already.
    Known,
    /// Recomputed to the same weights and kept.
    Kept,
    /// Checked as far as a node that does not attribute can: passed on, not kept.
    Passed,
    /// Not checkable yet (its model, or the version's anchor, not seen here yet): tried
    /// again later.
    Later(String),
}

/// Records waiting to be tried again, oldest first.
pub(super) type LaterRecords = Arc<Mutex<VecDeque<(Instant, DatanetId, AttributionSubmission)>>>;

impl Batches {
    /// Judges an attribution record gossiped on `datanet`'s topic: kept when this node
    /// recomputed the same weights, held to be tried again when it cannot tell yet.
    pub(super) async fn on_attribution(
        &self,
        datanet: DatanetId,
        submission: AttributionSubmission,
    ) -> Judgement {
        match self.admit(datanet, submission.clone()).await {
            Admission::Refused => Judgement::Reject,
            Admission::Known => Judgement::Ignore,
            Admission::Kept | Admission::Passed => Judgement::Accept,
            Admission::Later(why) => {
                tracing::info!(%datanet, record = %submission.record.id(), why, "attribution record not checkable here yet; trying again later");
                let mut later = self.later.lock().unwrap_or_else(|p| p.into_inner());
                if later.len() == MAX_LATER {
                    later.pop_front();
                }
                later.push_back((Instant::now(), datanet, submission));
                Judgement::Ignore
            }
        }
    }

    /// Tries the records held for later again; drops those that waited too long.
    pub(super) async fn retry_later(&self) {
        let waiting: Vec<_> = self
            .later
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .collect();
        for (since, datanet, submission) in waiting {
            match self.admit(datanet, submission.clone()).await {
                Admission::Later(_) if since.elapsed() < LATER_AT_MOST => self
                    .later
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_back((since, datanet, submission)),
                Admission::Later(why) => {
                    tracing::info!(%datanet, record = %submission.record.id(), why, "attribution record dropped: still not checkable here");
                }
                _ => {}
            }
        }
    }

    /// Checks `submission` and keeps it when this node attributes and recomputes the same
    /// weights.
    async fn admit(&self, datanet: DatanetId, submission: AttributionSubmission) -> Admission {
        let body = submission.record.body().clone();
        if body.datanet != datanet || submission.record.verify().is_err() {
            return Admission::Refused;
        }
        let model_id = body.model;
        let id = submission.record.id();
        let known = self
            .quorum
            .store
            .run(move |s| Ok((s.model(&model_id)?, s.attribution(&datanet, &id)?.is_some())))
            .await;
        let model = match known {
            Ok((_, true)) => return Admission::Known,
            Ok((None, _)) => return Admission::Later(format!("model {model_id} unknown here")),
            Ok((Some(model), false)) => model,
            Err(e) => return Admission::Later(e.to_string()),
        };
        if model.body().operator != body.operator || model.body().version_of(&datanet).is_none() {
            return Admission::Refused;
        }
        let Some(indexer) = &self.indexer else {
            return Admission::Passed;
        };
        let output = submission.output.clone().into_bytes();
        let min_span = body.min_span as usize;
        let recomputed = match indexer
            .attribute_in(&model, datanet, output, min_span)
            .await
        {
            Ok(attribution) => attribution,
            Err(e) => return Admission::Later(e.to_string()),
        };
        if record_weights(&recomputed) != body.weights {
            tracing::info!(%datanet, record = %id, "attribution record refused: its weights are not the ones recomputed here");
            return Admission::Refused;
        }
        match self
            .quorum
            .store
            .run(move |s| s.put_attribution(&submission))
            .await
        {
            Ok(_) => {
                tracing::info!(%datanet, record = %id, model = %model_id, "attribution record recomputed and kept");
                Admission::Kept
            }
            Err(e) => Admission::Later(format!("not stored: {e}")),
        }
    }

    /// The pool of `datanet` as the chain says now (everything ever funded, in wei); `None`
    /// without a chain or when it cannot be read.
    async fn funded(&self, datanet: DatanetId) -> Option<u128> {
        let hub = self.anchoring.as_ref()?.hub().await.ok()?;
        let funded = hub.rewards_funded(datanet, None).await.ok()?;
        u128::try_from(funded).ok()
    }

    /// Adds to a leader's `body` what it pays by its attribution records: the pool read on
    /// chain now, the payments and the rewards root. Records that would pay nothing (no
    /// chain, an empty pool, a share that rounds to nothing) are taken out of the batch and
    /// wait for a later one.
    pub(super) async fn pay(&self, body: &mut ProposalBody) {
        if body.attributions.is_empty() {
            return;
        }
        let Some(funded) = self.funded(body.datanet).await else {
            body.attributions.clear();
            return;
        };
        let (datanet, epoch, ids) = (body.datanet, body.epoch, body.attributions.clone());
        let paid = self
            .quorum
            .store
            .run(move |s| {
                let Some(weights) = weights_of(s, &datanet, &ids)? else {
                    return Ok(None);
                };
                Ok(Some(
                    Ledger::before(s, &datanet, epoch)?.pay(funded, &weights),
                ))
            })
            .await;
        match paid {
            Ok(Some((payments, rewards_root))) if !payments.is_empty() => {
                body.funded = funded;
                body.payments = payments;
                body.rewards_root = rewards_root;
            }
            _ => body.attributions.clear(),
        }
    }

    /// Checks a proposal's payments as a voter: nothing paid without records; otherwise
    /// every record held here (so recomputed here) and paid by no earlier batch, a pool no
    /// larger than the chain says, and the same payments and rewards root recomputed.
    ///
    /// # Errors
    /// Why the payments do not hold here.
    pub(super) async fn check_payments(&self, body: &ProposalBody) -> Result<(), String> {
        if body.attributions.is_empty() {
            return Ok(());
        }
        let on_chain = self
            .funded(body.datanet)
            .await
            .ok_or("the pool cannot be read on chain here")?;
        if body.funded > on_chain {
            return Err(format!(
                "the proposal says {} was funded; the chain says {on_chain}",
                body.funded
            ));
        }
        let (datanet, epoch) = (body.datanet, body.epoch);
        let ids = body.attributions.clone();
        let funded = body.funded;
        let recomputed = self
            .quorum
            .store
            .run(move |s| {
                let ledger = Ledger::before(s, &datanet, epoch)?;
                if ids.iter().any(|id| ledger.paid_by.contains(id)) {
                    return Ok(Err("a record was paid by an earlier batch".to_owned()));
                }
                let Some(weights) = weights_of(s, &datanet, &ids)? else {
                    return Ok(Err("a record is not held (recomputed) here".to_owned()));
                };
                Ok(Ok(ledger.pay(funded, &weights)))
            })
            .await
            .map_err(|e| e.to_string())??;
        if recomputed != (body.payments.clone(), body.rewards_root) {
            return Err("the payments or rewards root differ from those recomputed here".into());
        }
        Ok(())
    }
}

/// The weights an attribution record holds for `attribution`: each contributor with a weight
/// above zero, ascending by key.
pub(crate) fn record_weights(attribution: &Attribution) -> Vec<(PublicKey, u64)> {
    let mut weights: Vec<(PublicKey, u64)> = attribution
        .contributors
        .iter()
        .filter(|c| c.weight > 0)
        .filter_map(|c| Some((PublicKey::from_bytes(&c.contributor.0).ok()?, c.weight)))
        .collect();
    weights.sort();
    weights
}
