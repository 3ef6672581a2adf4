//! Attribution at a node: which accepted contributions a model's output quotes.
//!
//! With `[attribution] enabled`, the node keeps one index shard per final batch of every
//! datanet it follows, at `<home>/attribution/<datanet>/<epoch>.shard`, over the text of the
//! batch's contributions as the datanet's policy reads it: the string fields its JSON Lines
//! schema declares (the whole line when it declares none), each CSV row, or each line of a
//! `text/*` payload; other payloads hold no text. A shard is built when its batch is stored
//! and, at start, for every stored batch whose shard is missing or damaged (a damaged file is
//! removed and built again). Builds run one at a time, so a burst of batches never holds
//! more than one batch's text in memory.
//!
//! A query answers for one model: the version of each datanet its record names (every batch
//! up to the named epoch, which this node must have seen anchored with the named root),
//! searched as one version.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use datanet_attribution::{
    records, Attribution, AttributionError, ContributionText, Shard, TextSource, Version,
};
use datanet_protocol::signed::{ModelRecord, Policy, RecordFormat, TrainedOn};
use datanet_protocol::{ContributionId, DatanetId, ModelId};
use datanet_storage::AnchorState;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::events::NodeEvent;
use crate::retrieval::Retriever;
use crate::NodeError;

/// How a node attributes outputs (from `[attribution]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributionSettings {
    /// The folder of the index shards.
    pub folder: PathBuf,
    /// The shortest span of an output, in bytes, that counts as quoting a record.
    pub min_span: usize,
    /// The longest output one query takes, in bytes.
    pub max_output_bytes: usize,
}

/// One shard a query searched: the datanet and epoch of its batch. A span location's
/// `shard` is an index into the query's list of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRef {
    /// The datanet.
    pub datanet: String,
    /// The batch's epoch.
    pub epoch: u64,
}

/// What a query for a model answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelAttribution {
    /// The model.
    pub model: String,
    /// The shards searched, in the order span locations name them.
    pub shards: Vec<ShardRef>,
    /// The spans found and the weights they give.
    pub attribution: Attribution,
}

/// The shards a node has open, by datanet and epoch.
type OpenShards = HashMap<(DatanetId, u64), Arc<Shard>>;

/// The shards of a node, built and opened on demand, each opened once.
#[derive(Clone)]
pub(crate) struct Indexer {
    retriever: Retriever,
    pub(crate) settings: Arc<AttributionSettings>,
    tasks: TaskTracker,
    cancel: CancellationToken,
    open: Arc<Mutex<OpenShards>>,
    builds: Arc<tokio::sync::Mutex<()>>,
}

impl Indexer {
    /// An indexer over `retriever`'s store and network.
    pub(crate) fn new(
        retriever: Retriever,
        settings: AttributionSettings,
        tasks: TaskTracker,
        cancel: CancellationToken,
    ) -> Self {
        Indexer {
            retriever,
            settings: Arc::new(settings),
            tasks,
            cancel,
            open: Arc::default(),
            builds: Arc::default(),
        }
    }

    /// Indexes every stored batch that has no sound shard, then each batch as it is stored,
    /// until `cancel` fires, which also abandons a build under way (its file is published
    /// only once complete, so nothing half-built is left to open).
    pub(crate) async fn run(self, mut events: broadcast::Receiver<NodeEvent>) {
        let cancel = self.cancel.clone();
        tokio::select! {
            () = cancel.cancelled() => return,
            () = self.index_stored() => {}
        }
        loop {
            let event = tokio::select! {
                () = cancel.cancelled() => return,
                event = events.recv() => event,
            };
            let work = async {
                match event {
                    Ok(NodeEvent::Batched { datanet, epoch, .. }) => {
                        if let Err(e) = self.shard(datanet, epoch).await {
                            tracing::warn!(%datanet, epoch, error = %e, "batch not indexed");
                        }
                        true
                    }
                    Ok(_) => true,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        self.index_stored().await;
                        true
                    }
                    Err(broadcast::error::RecvError::Closed) => false,
                }
            };
            let go_on = tokio::select! {
                () = cancel.cancelled() => false,
                go_on = work => go_on,
            };
            if !go_on {
                return;
            }
        }
    }

    /// Opens or builds the shard of every stored batch.
    async fn index_stored(&self) {
        let batches = self
            .retriever
            .store
            .run(|s| {
                let mut all = Vec::new();
                for datanet in s.datanets()? {
                    let id = datanet.id();
                    all.extend(
                        s.batches_of(&id)?
                            .iter()
                            .map(|b| (id, b.proposal.body().epoch)),
                    );
                }
                Ok(all)
            })
            .await;
        let batches = match batches {
            Ok(batches) => batches,
            Err(e) => {
                tracing::warn!(error = %e, "stored batches not read: none indexed");
                return;
            }
        };
        for (datanet, epoch) in batches {
            if let Err(e) = self.shard(datanet, epoch).await {
                tracing::warn!(%datanet, epoch, error = %e, "batch not indexed");
            }
        }
    }

    fn path(&self, datanet: DatanetId, epoch: u64) -> PathBuf {
        self.settings
            .folder
            .join(datanet.to_string())
            .join(format!("{epoch}.shard"))
    }

    /// The shard of `datanet`'s batch of `epoch`: already open, opened from disk, or built
    /// (again, when the file on disk is damaged).
    ///
    /// # Errors
    /// [`NodeError::Invalid`] when there is no such batch here; a retrieval, store or
    /// index error.
    pub(crate) async fn shard(
        &self,
        datanet: DatanetId,
        epoch: u64,
    ) -> Result<Arc<Shard>, NodeError> {
        if let Some(shard) = self.cached(datanet, epoch) {
            return Ok(shard);
        }
        let _one_at_a_time = self.builds.lock().await;
        if let Some(shard) = self.cached(datanet, epoch) {
            return Ok(shard);
        }
        let path = self.path(datanet, epoch);
        let opened = if path.exists() {
            let at = path.clone();
            match blocking(move || Shard::open(&at)).await? {
                Ok(shard) => Some(shard),
                Err(AttributionError::Corrupt { reason, .. }) => {
                    tracing::warn!(path = %path.display(), %reason, "damaged shard: building it again");
                    std::fs::remove_file(&path).map_err(|e| internal(&path, &e))?;
                    None
                }
                Err(e) => return Err(index_error(e)),
            }
        } else {
            None
        };
        let shard = match opened {
            Some(shard) => shard,
            None => self.build(datanet, epoch, path).await?,
        };
        let shard = Arc::new(shard);
        self.lock_open()
            .insert((datanet, epoch), Arc::clone(&shard));
        Ok(shard)
    }

    fn cached(&self, datanet: DatanetId, epoch: u64) -> Option<Arc<Shard>> {
        self.lock_open().get(&(datanet, epoch)).cloned()
    }

    fn lock_open(&self) -> std::sync::MutexGuard<'_, OpenShards> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Builds the shard of a stored batch at `path` from its contributions' text.
    async fn build(
        &self,
        datanet: DatanetId,
        epoch: u64,
        path: PathBuf,
    ) -> Result<Shard, NodeError> {
        let (batch, record) = self
            .retriever
            .store
            .run(move |s| Ok((s.batch(&datanet, epoch)?, s.datanet(&datanet)?)))
            .await?;
        let (Some(batch), Some(record)) = (batch, record) else {
            return Err(NodeError::Invalid(format!(
                "datanet {datanet} has no final batch of epoch {epoch} here"
            )));
        };
        let policy = record.body().policy.clone();
        let mut texts = Vec::new();
        for certificate in &batch.proposal.body().certificates {
            if let Some(text) = self.text_of(certificate.contribution, &policy).await? {
                texts.push(text);
            }
        }
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|e| internal(folder, &e))?;
        }
        let records: usize = texts.iter().map(|t| t.records.len()).sum();
        let shard = blocking(move || Shard::build(&path, epoch, &texts))
            .await?
            .map_err(index_error)?;
        tracing::info!(%datanet, epoch, records, bytes = shard.text_len(), "batch indexed");
        Ok(shard)
    }

    /// The indexed text of one contribution, read whole and split as `policy` reads it;
    /// `None`, without fetching a byte of the payload, for one that holds no text.
    async fn text_of(
        &self,
        id: ContributionId,
        policy: &Policy,
    ) -> Result<Option<ContributionText>, NodeError> {
        let (manifest, _) = self.retriever.manifest(id).await?;
        let Some(source) = text_source(policy, &manifest.body().media_type) else {
            return Ok(None);
        };
        let (_, mut chunks) = self
            .retriever
            .read(id, 0, &self.tasks, self.cancel.clone())
            .await?;
        let mut payload = Vec::new();
        while let Some(chunk) = chunks.next().await {
            payload.extend_from_slice(&chunk?);
        }
        Ok(Some(ContributionText {
            contribution: id.0 .0,
            contributor: manifest.body().contributor.to_bytes(),
            records: records(&source, &payload)
                .map(|(index, text)| (index, text.into_owned()))
                .collect(),
        }))
    }

    /// Attributes `output` to the versions `model` names.
    ///
    /// # Errors
    /// [`NodeError::Invalid`] for an empty, oversized or non-UTF-8 output;
    /// [`NodeError::NotAnchored`] for a version this node has not seen anchored with the
    /// record's root; a retrieval, store or index error.
    pub(crate) async fn attribute(
        &self,
        model: &ModelRecord,
        output: Vec<u8>,
    ) -> Result<ModelAttribution, NodeError> {
        let mut refs = Vec::new();
        let mut shards = Vec::new();
        for version in &model.body().versions {
            let (more_refs, more_shards) = self.version_shards(model.id(), version).await?;
            refs.extend(more_refs);
            shards.extend(more_shards);
        }
        let attribution = self.query(shards, output, self.settings.min_span).await?;
        Ok(ModelAttribution {
            model: model.id().to_string(),
            shards: refs,
            attribution,
        })
    }

    /// Attributes `output` to the one version of `datanet` that `model` names, with spans of
    /// at least `min_span` bytes: the weights an attribution record of that datanet holds.
    ///
    /// # Errors
    /// [`NodeError::Invalid`] when the model names no version of `datanet`; as
    /// [`Indexer::attribute`] otherwise.
    pub(crate) async fn attribute_in(
        &self,
        model: &ModelRecord,
        datanet: DatanetId,
        output: Vec<u8>,
        min_span: usize,
    ) -> Result<Attribution, NodeError> {
        let version = model.body().version_of(&datanet).ok_or_else(|| {
            NodeError::Invalid(format!(
                "model {} names no version of datanet {datanet}",
                model.id()
            ))
        })?;
        let (_, shards) = self.version_shards(model.id(), version).await?;
        self.query(shards, output, min_span).await
    }

    /// The shards of `version` of model `id`: every batch of the datanet up to the version's
    /// epoch, once the version is anchored here with the record's root.
    async fn version_shards(
        &self,
        id: ModelId,
        version: &TrainedOn,
    ) -> Result<(Vec<ShardRef>, Vec<Arc<Shard>>), NodeError> {
        let (datanet, last) = (version.datanet, version.epoch);
        let root = version.batch_root;
        let (anchor, batches) = self
            .retriever
            .store
            .run(move |s| Ok((s.anchor(&datanet, last)?, s.batches_of(&datanet)?)))
            .await?;
        let anchored = anchor.is_some_and(|a| {
            a.batch_root == root && matches!(a.state, AnchorState::Confirmed { .. })
        });
        if !anchored {
            return Err(not_anchored(id, datanet, last, root));
        }
        let mut refs = Vec::new();
        let mut shards = Vec::new();
        for batch in batches.iter().filter(|b| b.proposal.body().epoch <= last) {
            shards.push(self.shard(datanet, batch.proposal.body().epoch).await?);
            refs.push(ShardRef {
                datanet: datanet.to_string(),
                epoch: batch.proposal.body().epoch,
            });
        }
        Ok((refs, shards))
    }

    /// Queries `output` against the version made of `shards`.
    async fn query(
        &self,
        shards: Vec<Arc<Shard>>,
        output: Vec<u8>,
        min_span: usize,
    ) -> Result<Attribution, NodeError> {
        blocking(move || Version::new(shards).query_bytes(&output, min_span))
            .await?
            .map_err(index_error)
    }
}

impl crate::Node {
    /// Which contributions of the versions model `model` was trained on `output` quotes,
    /// and their weights.
    ///
    /// # Errors
    /// [`NodeError::Invalid`] when attribution is not enabled here, or for an empty,
    /// oversized or non-UTF-8 output; [`NodeError::UnknownModel`];
    /// [`NodeError::NotAnchored`] for a version not anchored here; a retrieval, store or
    /// index error.
    pub async fn attribute(
        &self,
        model: ModelId,
        output: Vec<u8>,
    ) -> Result<ModelAttribution, NodeError> {
        let indexer = self.indexer.as_ref().ok_or_else(not_enabled)?;
        check_output(&output, indexer.settings.max_output_bytes)?;
        let record = self.model(model).await?;
        indexer.attribute(&record, output).await
    }

    /// The longest output [`Node::attribute`] takes, in bytes; `None` when attribution is
    /// not enabled here.
    pub fn max_output_bytes(&self) -> Option<usize> {
        self.indexer.as_ref().map(|i| i.settings.max_output_bytes)
    }
}

/// The error of a query to a node that does not attribute.
pub(crate) fn not_enabled() -> NodeError {
    NodeError::Invalid(
        "attribution is not enabled on this node: set enabled = true under [attribution] in \
         its config.toml and restart it"
            .into(),
    )
}

/// Refuses an output that is empty, longer than `max` bytes, or not UTF-8, with a message
/// that says which.
pub(crate) fn check_output(output: &[u8], max: usize) -> Result<(), NodeError> {
    if output.is_empty() {
        return Err(NodeError::Invalid(
            "the output is empty: there is nothing to attribute".into(),
        ));
    }
    if output.len() > max {
        return Err(NodeError::Invalid(format!(
            "the output is {} bytes; this node attributes at most {max} (attribution.max_output_bytes)",
            output.len()
        )));
    }
    std::str::from_utf8(output).map_err(|e| {
        NodeError::Invalid(format!(
            "the output is not UTF-8 text: {e}; attribution matches text only"
        ))
    })?;
    Ok(())
}

fn not_anchored(
    model: ModelId,
    datanet: DatanetId,
    epoch: u64,
    root: datanet_protocol::Hash,
) -> NodeError {
    NodeError::NotAnchored(format!(
        "model {model} names epoch {epoch} of datanet {datanet} with batch root {root}, which \
         this node has not seen anchored: it attributes only to anchored versions"
    ))
}

/// How `policy` reads the text of a payload of `media_type`; `None` when it holds none.
pub(crate) fn text_source(policy: &Policy, media_type: &str) -> Option<TextSource> {
    match policy.records.as_ref().map(|r| &r.format) {
        Some(RecordFormat::JsonLines { schema }) => Some(TextSource::JsonLines {
            fields: string_fields(schema),
        }),
        Some(RecordFormat::Csv { .. }) => Some(TextSource::Csv),
        None => media_type
            .starts_with("text/")
            .then_some(TextSource::PlainText),
    }
}

/// The top-level properties a JSON Schema declares as strings, by name: the fields whose
/// text a JSON Lines datanet's records are matched on. Empty for a schema that declares none
/// (then the whole line is the text).
fn string_fields(schema: &str) -> Vec<String> {
    let Ok(schema) = serde_json::from_str::<serde_json::Value>(schema) else {
        return Vec::new();
    };
    let Some(properties) = schema.get("properties").and_then(|p| p.as_object()) else {
        return Vec::new();
    };
    let mut fields: Vec<String> = properties
        .iter()
        .filter(|(_, p)| p.get("type").and_then(|t| t.as_str()) == Some("string"))
        .map(|(name, _)| name.clone())
        .collect();
    fields.sort();
    fields
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, NodeError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| NodeError::task("attribution index", e))
}

fn index_error(e: AttributionError) -> NodeError {
    match e {
        AttributionError::EmptyOutput
        | AttributionError::OutputTooLong { .. }
        | AttributionError::InvalidUtf8 => NodeError::Invalid(e.to_string()),
        other => NodeError::Internal(format!("attribution index: {other}")),
    }
}

fn internal(path: &Path, e: &std::io::Error) -> NodeError {
    NodeError::Internal(format!("attribution index {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use datanet_protocol::signed::{Column, ColumnType, RecordRules};

    use super::*;

    fn with_records(format: RecordFormat) -> Policy {
        Policy {
            records: Some(RecordRules::new(format)),
            ..Policy::default()
        }
    }

    #[test]
    fn a_json_lines_datanet_is_matched_on_the_string_fields_its_schema_declares() {
        let schema = r#"{"properties": {"q": {"type": "string"}, "n": {"type": "integer"},
            "a": {"type": "string"}}, "required": ["q"]}"#;
        let policy = with_records(RecordFormat::JsonLines {
            schema: schema.into(),
        });
        assert_eq!(
            text_source(&policy, "application/jsonl"),
            Some(TextSource::JsonLines {
                fields: vec!["a".into(), "q".into()]
            })
        );
        let open = with_records(RecordFormat::JsonLines {
            schema: String::new(),
        });
        assert_eq!(
            text_source(&open, "application/jsonl"),
            Some(TextSource::JsonLines { fields: vec![] }),
            "no declared fields: the whole line"
        );
    }

    #[test]
    fn csv_rows_and_text_files_hold_text_and_other_payloads_none() {
        let csv = with_records(RecordFormat::Csv {
            columns: vec![Column {
                name: "text".into(),
                kind: ColumnType::String,
            }],
        });
        assert_eq!(text_source(&csv, "text/csv"), Some(TextSource::Csv));
        let free = Policy::default();
        assert_eq!(
            text_source(&free, "text/plain"),
            Some(TextSource::PlainText)
        );
        assert_eq!(text_source(&free, "image/png"), None);
    }

    #[test]
    fn an_empty_oversized_or_binary_output_is_refused_saying_why() {
        let message = |r: Result<(), NodeError>| r.unwrap_err().to_string();
        assert!(message(check_output(b"", 10)).contains("empty"));
        assert!(message(check_output(b"0123456789a", 10)).contains("at most 10"));
        assert!(message(check_output(b"ab\xffcd", 10)).contains("not UTF-8"));
        check_output("é quoted".as_bytes(), 10).unwrap();
    }
}
