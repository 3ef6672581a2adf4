//! The JSON bodies of the API, shared by the server and the command-line client.

use serde::{Deserialize, Serialize};

/// `GET /v1/status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusView {
    /// The daemon's version.
    pub version: String,
    /// The node's peer id.
    pub peer_id: String,
    /// The contributor key (hex) that signs this node's contributions and datanets.
    pub contributor: String,
    /// The addresses the node listens on, each ending in its peer id.
    pub listen: Vec<String>,
    /// Peers connected now.
    pub peers: usize,
    /// Storage peers known to be up, connected or not (see `Membership`): the network this
    /// node reaches on demand.
    pub members: usize,
    /// Why the node has no peers, when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_peers: Option<String>,
    /// Datanets known.
    pub datanets: usize,
    /// Contributions whose manifest is stored here.
    pub contributions: usize,
    /// Replication as the last repair pass found it.
    #[serde(default)]
    pub columns: ColumnsView,
    /// Seconds since the daemon started.
    pub uptime_s: u64,
    /// Anchoring on chain; absent when no chain is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchoring: Option<AnchoringView>,
}

/// Where a node's anchoring stands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnchoringView {
    /// The hub's address.
    pub hub: String,
    /// The chain id.
    pub chain_id: u64,
    /// Final batches not yet confirmed on chain.
    pub pending: usize,
    /// The chain's latest block as last read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<u64>,
    /// Why the last pass over the anchor queue failed, if it did (it is retried with backoff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// The columns of `GET /v1/status`: what the last repair pass found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ColumnsView {
    /// Columns this node custodies.
    pub owed: usize,
    /// Columns it custodies and still lacks (none could be rebuilt yet).
    pub missing: usize,
    /// Columns of the squares stored here with fewer custodians connected than they should
    /// have: a custodian away within the grace period, or too few storage peers.
    pub under_replicated: usize,
    /// Columns rebuilt since the daemon started.
    pub repaired: u64,
}

/// One entry of `GET /v1/peers`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerView {
    /// The peer's id.
    pub peer_id: String,
    /// What its answers have earned it.
    pub score: i64,
}

/// `POST /v1/datanets`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateDatanet {
    /// A short human name.
    pub name: String,
    /// What the dataset is for.
    #[serde(default)]
    pub description: String,
    /// The contribution rules; defaults apply to what is left out.
    #[serde(default)]
    pub policy: PolicyView,
    /// The validators that check contributions; empty means none, so no contribution is
    /// ever attested.
    #[serde(default)]
    pub validators: Vec<ValidatorView>,
    /// The share of stake a quorum needs, `N/D`; 2/3 when left out. Only with validators.
    #[serde(default)]
    pub threshold: Option<String>,
}

/// One validator of a datanet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorView {
    /// Its attestation key, 64 hex digits.
    pub key: String,
    /// Its stake, at least 1.
    pub stake: u64,
}

/// A datanet's contribution rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyView {
    /// The largest accepted payload, in bytes.
    pub max_contribution_bytes: u64,
    /// Accepted media types; empty accepts any.
    pub media_types: Vec<String>,
    /// Whether exact duplicates of an earlier payload are rejected.
    pub reject_duplicates: bool,
    /// How payloads hold records: `none` (opaque bytes), `jsonl` or `csv`.
    pub format: String,
    /// The JSON Schema every JSON line must satisfy (`jsonl` only); none accepts any object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<serde_json::Value>,
    /// The CSV columns in header order (`csv` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnView>,
    /// The fewest records per contribution (`jsonl` and `csv`).
    pub min_records: u64,
    /// The most records per contribution (`jsonl` and `csv`).
    pub max_records: u64,
    /// The largest record in bytes (`jsonl` and `csv`).
    pub max_record_bytes: u32,
    /// The most records that may repeat earlier ones, in parts per million of a
    /// contribution's records (`jsonl` and `csv`).
    pub max_repeat_ppm: u32,
}

impl Default for PolicyView {
    fn default() -> Self {
        PolicyView {
            max_contribution_bytes: 1 << 30,
            media_types: Vec::new(),
            reject_duplicates: true,
            format: "none".to_owned(),
            schema: None,
            columns: Vec::new(),
            min_records: 1,
            max_records: 10_000_000,
            max_record_bytes: 1 << 20,
            max_repeat_ppm: 0,
        }
    }
}

/// One CSV column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnView {
    /// The name its header gives.
    pub name: String,
    /// `string`, `integer`, `number` or `boolean`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A datanet record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatanetView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The owner's key (hex).
    pub owner: String,
    /// Its rules.
    pub policy: PolicyView,
    /// Its validators, ascending by key; empty when it has none.
    #[serde(default)]
    pub validators: Vec<ValidatorView>,
    /// The share of stake a quorum needs, `N/D`, when it has validators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: u64,
}

/// One chunk of a contribution.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChunkView {
    /// The chunk id.
    pub id: String,
    /// Its square's width.
    pub k: u16,
    /// Its square's DA root.
    pub da_root: String,
    /// The columns of its square this node keeps as a custodian, ascending; given by
    /// `GET /v1/contributions/{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns_held: Option<Vec<u16>>,
}

/// How a dispersal went.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DispersalView {
    /// Columns in all squares.
    pub columns: usize,
    /// Custodian acknowledgements.
    pub acks: usize,
    /// Columns held by fewer custodians than required.
    pub short_columns: usize,
    /// Whether every column reached enough custodians.
    pub complete: bool,
}

/// A contribution: its manifest and where it stands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContributionView {
    /// The contribution id.
    pub id: String,
    /// The datanet it belongs to.
    pub datanet: String,
    /// The contributor's key (hex).
    pub contributor: String,
    /// The payload's length.
    pub payload_len: u64,
    /// The payload's hash (hex).
    pub payload_hash: String,
    /// Its media type.
    pub media_type: String,
    /// The erasure code.
    pub codec: String,
    /// When it was signed, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Its chunks in order.
    pub chunks: Vec<ChunkView>,
    /// Lifecycle: `stored` (its datanet has no validators), `pending`, `accepted` or
    /// `rejected`.
    pub status: String,
    /// Why it was rejected by a fraud proof, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Its validators' attestations and where they leave it, when its datanet has validators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<ValidationView>,
    /// How the dispersal went, on the answer to the upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispersal: Option<DispersalView>,
}

/// Where a contribution stands with its validators.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValidationView {
    /// Stake of the validators that accept it.
    pub accepting_stake: u64,
    /// Stake of the validators that reject it.
    pub rejecting_stake: u64,
    /// Stake of validators caught signing both ways (counted for neither side).
    pub equivocating_stake: u64,
    /// Stake of the whole set.
    pub total_stake: u64,
    /// The share of stake a quorum must exceed, as `n/d`.
    pub threshold: String,
    /// Each validator's attestation, by key.
    pub attestations: Vec<AttestationView>,
    /// Validators that signed two verdicts; both are kept as evidence.
    pub equivocators: Vec<String>,
    /// The quorum certificate, once accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateView>,
    /// The epoch whose final batch holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
    /// Where that batch stands on chain, when this node anchors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchored: Option<AnchorView>,
}

/// Transactions a request sent to the chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainTxView {
    /// Their hashes, `0x` hex, in the order sent.
    pub txs: Vec<String>,
}

/// `POST /v1/validator/chain`: bind the validator key on the hub, and optionally stake.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterValidatorRequest {
    /// The datanet to stake on.
    #[serde(default)]
    pub datanet: Option<String>,
    /// OPEN to stake on it, as a decimal (`100`, `2.5`).
    #[serde(default)]
    pub stake: Option<String>,
}

/// An epoch batch's anchor on chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnchorView {
    /// `queued`, `submitted`, `confirmed`, or `skipped` (the chain took a later epoch first,
    /// so this one can never be anchored).
    pub state: String,
    /// The transaction, once sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx: Option<String>,
    /// The block, once confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<u64>,
    /// Blocks on and above the anchor's, as of the chain's latest block the node read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmations: Option<u64>,
}

/// One validator's verdict.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttestationView {
    /// The validator's key.
    pub validator: String,
    /// `accept` or `reject`.
    pub verdict: String,
    /// The reason code's name (`ok`, `schema`, `duplicate`, …).
    pub reason: String,
    /// The validator's message, for a rejection.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// A quorum certificate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertificateView {
    /// Its hash, as batch leaves commit to it.
    pub hash: String,
    /// The keys that signed it.
    pub signers: Vec<String>,
}

/// One validator of a datanet, as `GET /v1/datanets/{id}/validators` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValidatorStatusView {
    /// Its key.
    pub key: String,
    /// Its stake.
    pub stake: u64,
    /// When this node last stored an attestation of it (ms since the Unix epoch), since
    /// this node started; none yet means it may be offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attestation_ms: Option<u64>,
}

/// `POST /v1/contributions/{id}/verify`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The detection probability each chunk must reach; 0.99 by default.
    #[serde(default)]
    pub confidence: Option<f64>,
}

/// The sampling of one chunk.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChunkSampleView {
    /// The chunk's DA root.
    pub da_root: String,
    /// Its square's width.
    pub k: u16,
    /// Samples asked for.
    pub requested: usize,
    /// Samples that verified.
    pub verified: usize,
    /// The detection probability reached (0 if any sample failed).
    pub confidence: f64,
    /// Whether every sample verified and the target was reached.
    pub available: bool,
}

/// The answer to a verification.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifyView {
    /// The contribution.
    pub contribution: String,
    /// The confidence each chunk had to reach.
    pub target: f64,
    /// Per chunk.
    pub chunks: Vec<ChunkSampleView>,
    /// Whether every chunk reached the target.
    pub available: bool,
}
