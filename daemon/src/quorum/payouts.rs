//! Attribution records on a datanet's quorum topic, and the payments a batch makes by them.
//!
//! A node that attributes recomputes every record it hears from its own index (the model's
//! version of the record's datanet, with the record's minimum span) and keeps the record only
//! when the weights come out the same; a wrong record is refused, so its sender is penalised
//! and it goes no further. A node that does not attribute checks what it can (the signature,
//! the model and its operator) and passes the record on. A leader pays by the records it
//! holds; a validator votes for a proposal's payments only after recomputing them
//! ([`super::rewards`]) against the pool it reads on chain itself.

use datanet_attribution::Attribution;
use datanet_net::Judgement;
use datanet_protocol::signed::{AttributionSubmission, ProposalBody};
use datanet_protocol::{DatanetId, PublicKey};

use super::epochs::Batches;
use super::rewards::{weights_of, Ledger};

impl Batches {
    /// Judges an attribution record gossiped on `datanet`'s topic, and keeps it when this
    /// node recomputed the same weights.
    pub(super) async fn on_attribution(
        &self,
        datanet: DatanetId,
        submission: AttributionSubmission,
    ) -> Judgement {
        let body = submission.record.body().clone();
        if body.datanet != datanet || submission.record.verify().is_err() {
            return Judgement::Reject;
        }
        let model_id = body.model;
        let id = submission.record.id();
        let known = self
            .quorum
            .store
            .run(move |s| Ok((s.model(&model_id)?, s.attribution(&datanet, &id)?.is_some())))
            .await;
        let model = match known {
            Ok((_, true)) | Err(_) | Ok((None, _)) => return Judgement::Ignore,
            Ok((Some(model), false)) => model,
        };
        if model.body().operator != body.operator || model.body().version_of(&datanet).is_none()
        {
            return Judgement::Reject;
        }
        let Some(indexer) = &self.indexer else {
            return Judgement::Accept;
        };
        let output = submission.output.clone().into_bytes();
        let min_span = body.min_span as usize;
        let recomputed = match indexer.attribute_in(&model, datanet, output, min_span).await {
            Ok(attribution) => attribution,
            Err(e) => {
                tracing::debug!(%datanet, record = %id, error = %e, "attribution record not recomputable here yet");
                return Judgement::Ignore;
            }
        };
        if record_weights(&recomputed) != body.weights {
            tracing::info!(%datanet, record = %id, "attribution record refused: its weights are not the ones recomputed here");
            return Judgement::Reject;
        }
        match self
            .quorum
            .store
            .run(move |s| s.put_attribution(&submission))
            .await
        {
            Ok(_) => {
                tracing::info!(%datanet, record = %id, model = %model_id, "attribution record recomputed and kept");
                Judgement::Accept
            }
            Err(e) => {
                tracing::warn!(%datanet, record = %id, error = %e, "attribution record not stored");
                Judgement::Ignore
            }
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
                Ok(Some(Ledger::before(s, &datanet, epoch)?.pay(funded, &weights)))
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
