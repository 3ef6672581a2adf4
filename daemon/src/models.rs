//! Model records at a node: registering a model (each datanet version it names checked
//! against the anchors this node has followed), keeping the records gossiped by others, and
//! looking them up.

use datanet_protocol::signed::{ModelBody, ModelRecord, TrainedOn};
use datanet_protocol::{ContributionId, DatanetId, Hash, ModelId};
use datanet_storage::{AnchorState, Store, StoreError};

use crate::clock::now_ms;
use crate::{Node, NodeError};

/// What an operator asks to register: everything of a [`ModelBody`] but the signer, time and
/// nonce, with each version's epoch optional (the newest anchored one when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRequest {
    /// A short human name.
    pub name: String,
    /// The model it was trained from.
    pub base_model: String,
    /// The hash of its weights file, if published.
    pub weights: Option<Hash>,
    /// The datanets it was trained on, each with the anchored epoch of the version used.
    pub versions: Vec<(DatanetId, Option<u64>)>,
    /// Its adapter, a contribution of a datanet of its own.
    pub adapter: Option<ContributionId>,
}

impl Node {
    /// Registers a model operated by this node's contributor key: pins each named datanet
    /// version to its anchored batch root, signs the record, stores it and gossips it.
    ///
    /// # Errors
    /// [`NodeError::Invalid`] for a version not anchored as far as this node has followed
    /// the chain, a datanet named twice, or a name out of bounds;
    /// [`NodeError::UnknownContribution`] for an adapter nobody has; a store error.
    pub async fn register_model(&self, request: ModelRequest) -> Result<ModelRecord, NodeError> {
        if let Some(adapter) = request.adapter {
            self.manifest(adapter).await?;
        }
        let asked = request.versions.clone();
        let mut versions = self
            .store()
            .run(move |s| {
                asked
                    .iter()
                    .map(|&(datanet, epoch)| pin_version(s, datanet, epoch))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?
            .into_iter()
            .collect::<Result<Vec<_>, NodeError>>()?;
        versions.sort();
        let body = ModelBody {
            name: request.name,
            base_model: request.base_model,
            weights: request.weights,
            versions,
            adapter: request.adapter,
            operator: self.contributor.public(),
            created_ms: now_ms(),
            nonce: rand::random(),
        };
        let model = ModelRecord::sign(body, &self.contributor)
            .map_err(|e| NodeError::Invalid(e.to_string()))?;
        let record = model.clone();
        self.store().run(move |s| s.put_model(&record)).await?;
        self.network().publish_model(&model).await?;
        Ok(model)
    }

    /// The model record `id`, if this node holds it.
    ///
    /// # Errors
    /// [`NodeError::UnknownModel`] or a store error.
    pub async fn model(&self, id: ModelId) -> Result<ModelRecord, NodeError> {
        self.store()
            .run(move |s| s.model(&id))
            .await?
            .ok_or(NodeError::UnknownModel(id))
    }

    /// Every model record this node holds, in id order.
    ///
    /// # Errors
    /// A store error.
    pub async fn models(&self) -> Result<Vec<ModelRecord>, NodeError> {
        Ok(self.store().run(Store::models).await?)
    }
}

/// The version of `datanet` as of `epoch` (the newest confirmed anchor when `None`), pinned to
/// its anchored batch root.
fn pin_version(
    store: &Store,
    datanet: DatanetId,
    epoch: Option<u64>,
) -> Result<Result<TrainedOn, NodeError>, StoreError> {
    let anchor = match epoch {
        Some(epoch) => store.anchor(&datanet, epoch)?,
        None => store.newest_confirmed_anchor(&datanet)?,
    };
    Ok(match anchor {
        Some(anchor) if matches!(anchor.state, AnchorState::Confirmed { .. }) => Ok(TrainedOn {
            datanet,
            epoch: anchor.epoch,
            batch_root: anchor.batch_root,
        }),
        _ => {
            Err(NodeError::Invalid(format!(
            "datanet {datanet} has no {} on chain as far as this node has followed it: a model \
             names only anchored versions",
            epoch.map_or("anchored epoch".to_owned(), |e| format!("anchored epoch {e}"))
        )))
        }
    })
}
