//! Attribution records a model's operator submits: the output attributed to the version of
//! each datanet the model names, one record per datanet that it quotes, signed with this
//! node's contributor key (the operator key of the models it registers), kept here and
//! gossiped to the datanet's validators, who recompute each before a batch pays by it.

use datanet_protocol::quorum_message::QuorumMessage;
use datanet_protocol::signed::{
    output_hash, AttributionBody, AttributionRecord, AttributionSubmission, MAX_RECORD_WEIGHTS,
    MAX_SUBMITTED_OUTPUT, MIN_RECORD_SPAN,
};
use datanet_protocol::{DatanetId, Hash, ModelId, PublicKey};

use crate::attribution::{check_output, not_enabled};
use crate::quorum::payouts::record_weights;
use crate::{Node, NodeError};

/// One attribution record submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedRecord {
    /// The datanet whose contributors it weighs.
    pub datanet: DatanetId,
    /// The record's id.
    pub id: Hash,
    /// Each contributor's weight, ascending by key.
    pub weights: Vec<(PublicKey, u64)>,
}

impl Node {
    /// Attributes `output` to each datanet version model `model` names and submits one
    /// signed record per datanet it quotes.
    ///
    /// # Errors
    /// [`NodeError::Invalid`] when attribution is not enabled here, for an empty, oversized
    /// or non-UTF-8 output, a model another key operates, or an output that quotes nothing;
    /// [`NodeError::UnknownModel`]; [`NodeError::NotAnchored`]; a store, index or network
    /// error.
    pub async fn submit_attribution(
        &self,
        model: ModelId,
        output: Vec<u8>,
    ) -> Result<Vec<SubmittedRecord>, NodeError> {
        let indexer = self.indexer.as_ref().ok_or_else(not_enabled)?;
        check_output(
            &output,
            indexer.settings.max_output_bytes.min(MAX_SUBMITTED_OUTPUT),
        )?;
        let record = self.model(model).await?;
        let operator = self.contributor.public();
        if record.body().operator != operator {
            return Err(NodeError::Invalid(format!(
                "model {model} is operated by {}; only its operator signs its attribution records",
                record.body().operator
            )));
        }
        let min_span = indexer.settings.min_span.max(MIN_RECORD_SPAN as usize);
        let text = String::from_utf8(output.clone())
            .map_err(|e| NodeError::Invalid(format!("the output is not UTF-8: {e}")))?;
        let mut submitted = Vec::new();
        for version in &record.body().versions {
            let datanet = version.datanet;
            let attribution = indexer
                .attribute_in(&record, datanet, output.clone(), min_span)
                .await?;
            let weights = record_weights(&attribution);
            if weights.is_empty() {
                continue;
            }
            if weights.len() > MAX_RECORD_WEIGHTS {
                return Err(NodeError::Invalid(format!(
                    "the output quotes {} contributors of datanet {datanet}; a record weighs at most {MAX_RECORD_WEIGHTS}",
                    weights.len()
                )));
            }
            let body = AttributionBody {
                model,
                datanet,
                operator,
                output_hash: output_hash(&output),
                min_span: min_span as u32,
                weights: weights.clone(),
            };
            let signed = AttributionRecord::sign(body, &self.contributor)
                .map_err(|e| NodeError::Internal(format!("signing an attribution record: {e}")))?;
            let submission = AttributionSubmission {
                record: signed,
                output: text.clone(),
            };
            let kept = submission.clone();
            let id = self.store().run(move |s| s.put_attribution(&kept)).await?;
            self.network()
                .publish_quorum(datanet, &QuorumMessage::Attribution(Box::new(submission)))
                .await?;
            tracing::info!(%datanet, record = %id, %model, "attribution record submitted");
            submitted.push(SubmittedRecord {
                datanet,
                id,
                weights,
            });
        }
        if submitted.is_empty() {
            return Err(NodeError::Invalid(format!(
                "the output quotes no contribution of the versions model {model} names: there is nothing to submit"
            )));
        }
        Ok(submitted)
    }
}
