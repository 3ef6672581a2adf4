//! Attribution proofs: a self-contained JSON document saying that one contribution is in one
//! anchored epoch batch of a datanet, checkable by anyone holding only an EVM RPC endpoint.
//!
//! The proof carries the batch leaf (its canonical encoding), the leaf's Merkle path to the
//! batch root, and where the root was anchored (chain id, hub, datanet, epoch, transaction,
//! block). [`AttributionProof::verify_offline`] checks the leaf against the root;
//! [`AttributionProof::verify`] then checks the chain: the hub's `Anchored` event for that
//! datanet and epoch in that block, emitted by that transaction, with that root, under
//! enough blocks. Each failure names the field that is wrong. protocol.md 15.4 defines the
//! format for other implementations.

use alloy::primitives::{Address, TxHash};
use datanet_protocol::merkle;
use datanet_protocol::{BatchLeaf, DatanetId, Decode, Encode, Hash};
use serde::{Deserialize, Serialize};

use crate::client::HubClient;
use crate::error::ChainError;
use crate::hub::{ChainParams, Hub};

/// The `format` field of every proof of this version.
pub const PROOF_FORMAT: &str = "datanet-attribution-proof/1";

/// A contribution's proof of inclusion in an anchored batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributionProof {
    /// Always [`PROOF_FORMAT`].
    pub format: String,
    /// The chain's id.
    pub chain_id: u64,
    /// The hub's address.
    pub hub: Address,
    /// The datanet, hex.
    pub datanet: String,
    /// The epoch.
    pub epoch: u64,
    /// The anchored batch root, hex.
    pub batch_root: String,
    /// The anchored rewards root, hex (zeros when the epoch paid none).
    pub rewards_root: String,
    /// The anchoring transaction.
    pub tx: TxHash,
    /// Its block.
    pub block: u64,
    /// The contribution, hex: the leaf's, repeated for readers.
    pub contribution: String,
    /// The contributor's key: the leaf's, repeated for readers.
    pub contributor: String,
    /// The batch leaf's canonical encoding (protocol.md 5.17), hex.
    pub leaf: String,
    /// The leaf's position in the batch.
    pub index: u64,
    /// How many leaves the batch has.
    pub leaves: u64,
    /// The sibling hashes from the leaf up, hex.
    pub path: Vec<String>,
}

/// What is wrong with a proof.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// A field does not parse.
    #[error("field `{field}` is malformed: {why}")]
    Malformed {
        /// The field.
        field: &'static str,
        /// Why.
        why: String,
    },
    /// The restated contribution or contributor is not the leaf's.
    #[error("field `{field}` does not match the leaf, which says {leaf}")]
    LeafMismatch {
        /// The field.
        field: &'static str,
        /// What the leaf holds.
        leaf: String,
    },
    /// The leaf and path do not lead to the batch root.
    #[error(
        "the leaf is not in the batch: {0} (check `leaf`, `index`, `leaves`, `path`, `batch_root`)"
    )]
    NotInBatch(String),
    /// The RPC endpoint serves another chain, or no hub is at the address.
    #[error("{0}")]
    Chain(#[from] ChainError),
    /// The proof names another chain or hub than the client it is checked against.
    #[error("the proof names another chain or hub than {hub} on chain {chain_id} (check `chain_id`, `hub`)")]
    WrongChain {
        /// The client's chain id.
        chain_id: u64,
        /// The client's hub.
        hub: Address,
    },
    /// No anchor of that datanet and epoch in that block.
    #[error("the hub has no anchor of epoch {epoch} of this datanet in block {block} (check `datanet`, `epoch`, `block`)")]
    NoAnchor {
        /// The epoch.
        epoch: u64,
        /// The block.
        block: u64,
    },
    /// The anchor was made by another transaction.
    #[error("the anchor is in transaction {on_chain}, not `tx`")]
    WrongTransaction {
        /// The transaction on chain.
        on_chain: TxHash,
    },
    /// The chain anchored another root.
    #[error("the chain anchored {field} {on_chain}, not the proof's")]
    RootMismatch {
        /// `batch_root` or `rewards_root`.
        field: &'static str,
        /// What the chain holds.
        on_chain: Hash,
    },
    /// The anchor is not deep enough yet.
    #[error("the anchor has {have} confirmations, fewer than the {need} asked for")]
    TooFewConfirmations {
        /// Blocks on and above the anchor's.
        have: u64,
        /// The minimum asked for.
        need: u64,
    },
}

impl AttributionProof {
    /// The proof for `leaf` at `index` among `leaves` (the batch in order), anchored as
    /// `batch_root` with `rewards_root` in `tx` at `block`, for `datanet`'s `epoch`.
    ///
    /// # Errors
    /// [`ProofError::NotInBatch`] when `index` is outside the batch.
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        chain_id: u64,
        hub: Address,
        datanet: DatanetId,
        epoch: u64,
        leaves: &[BatchLeaf],
        index: usize,
        rewards_root: Hash,
        tx: TxHash,
        block: u64,
    ) -> Result<Self, ProofError> {
        let hashes: Vec<Hash> = leaves.iter().map(BatchLeaf::hash).collect();
        let path =
            merkle::proof(&hashes, index).map_err(|e| ProofError::NotInBatch(e.to_string()))?;
        let leaf = &leaves[index];
        Ok(AttributionProof {
            format: PROOF_FORMAT.into(),
            chain_id,
            hub,
            datanet: datanet.to_string(),
            epoch,
            batch_root: merkle::root(&hashes).to_string(),
            rewards_root: rewards_root.to_string(),
            tx,
            block,
            contribution: leaf.contribution.to_string(),
            contributor: leaf.contributor.to_string(),
            leaf: hex::encode(leaf.to_bytes()),
            index: index as u64,
            leaves: leaves.len() as u64,
            path: path.iter().map(Hash::to_string).collect(),
        })
    }

    /// The leaf, checked against the batch root and the restated fields; no chain needed.
    ///
    /// # Errors
    /// [`ProofError::Malformed`], [`ProofError::LeafMismatch`], [`ProofError::NotInBatch`].
    pub fn verify_offline(&self) -> Result<BatchLeaf, ProofError> {
        if self.format != PROOF_FORMAT {
            return Err(malformed("format", format!("expected {PROOF_FORMAT:?}")));
        }
        let bytes = hex::decode(&self.leaf).map_err(|e| malformed("leaf", e.to_string()))?;
        let leaf = BatchLeaf::from_bytes(&bytes).map_err(|e| malformed("leaf", e.to_string()))?;
        if leaf.contribution.to_string() != self.contribution {
            return Err(ProofError::LeafMismatch {
                field: "contribution",
                leaf: leaf.contribution.to_string(),
            });
        }
        if leaf.contributor.to_string() != self.contributor {
            return Err(ProofError::LeafMismatch {
                field: "contributor",
                leaf: leaf.contributor.to_string(),
            });
        }
        let root = parse_hash("batch_root", &self.batch_root)?;
        let path = self
            .path
            .iter()
            .map(|p| parse_hash("path", p))
            .collect::<Result<Vec<_>, _>>()?;
        merkle::verify(&root, leaf.hash(), self.index, self.leaves, &path)
            .map_err(|e| ProofError::NotInBatch(e.to_string()))?;
        Ok(leaf)
    }

    /// The whole check: [`AttributionProof::verify_offline`], then the chain at `rpc_url`
    /// (which must serve `chain_id` and hold the hub) with at least `confirmations` blocks
    /// on the anchor. Returns the leaf.
    ///
    /// # Errors
    /// Any [`ProofError`], naming what does not hold.
    pub async fn verify(&self, rpc_url: &str, confirmations: u64) -> Result<BatchLeaf, ProofError> {
        self.verify_offline()?;
        let hub = Hub::connect(
            ChainParams {
                rpc_url: rpc_url.to_string(),
                chain_id: self.chain_id,
                hub: self.hub,
                confirmations,
            },
            None,
        )
        .await?;
        self.verify_against(&hub, confirmations).await
    }

    /// [`AttributionProof::verify_offline`], then the chain as `hub` sees it, with at least
    /// `confirmations` blocks on the anchor: for callers that already follow the proof's
    /// hub (a light client). Returns the leaf.
    ///
    /// # Errors
    /// Any [`ProofError`]; [`ProofError::WrongChain`] when `hub` is another chain or hub
    /// than the proof names.
    pub async fn verify_against(
        &self,
        hub: &dyn HubClient,
        confirmations: u64,
    ) -> Result<BatchLeaf, ProofError> {
        let leaf = self.verify_offline()?;
        let params = hub.params();
        if params.chain_id != self.chain_id || params.hub != self.hub {
            return Err(ProofError::WrongChain {
                chain_id: params.chain_id,
                hub: params.hub,
            });
        }
        let datanet = DatanetId(parse_hash("datanet", &self.datanet)?);
        let batch_root = parse_hash("batch_root", &self.batch_root)?;
        let rewards_root = parse_hash("rewards_root", &self.rewards_root)?;
        let head = hub.block_number().await?;
        let no_anchor = ProofError::NoAnchor {
            epoch: self.epoch,
            block: self.block,
        };
        if self.block > head {
            return Err(no_anchor);
        }
        let anchor = hub
            .anchor_event(datanet, self.epoch, self.block)
            .await?
            .ok_or(no_anchor)?;
        if anchor.tx != self.tx {
            return Err(ProofError::WrongTransaction {
                on_chain: anchor.tx,
            });
        }
        if anchor.batch_root != batch_root {
            return Err(ProofError::RootMismatch {
                field: "batch_root",
                on_chain: anchor.batch_root,
            });
        }
        if anchor.rewards_root != rewards_root {
            return Err(ProofError::RootMismatch {
                field: "rewards_root",
                on_chain: anchor.rewards_root,
            });
        }
        let have = head.saturating_sub(self.block) + 1;
        if have < confirmations {
            return Err(ProofError::TooFewConfirmations {
                have,
                need: confirmations,
            });
        }
        Ok(leaf)
    }
}

fn malformed(field: &'static str, why: String) -> ProofError {
    ProofError::Malformed { field, why }
}

fn parse_hash(field: &'static str, text: &str) -> Result<Hash, ProofError> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text, &mut bytes)
        .map_err(|_| malformed(field, "expected 64 hex digits".into()))?;
    Ok(Hash(bytes))
}
