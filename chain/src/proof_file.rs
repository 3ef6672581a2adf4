//! Checking a proof file the way both command lines do (`datanet verify-proof`,
//! `datanet-light verify-proof`): read it, check it against the chain, and report what holds
//! or exactly what fails; an unreadable file or an unreachable chain is an error, not a
//! verdict on the proof.

use std::path::Path;

use serde::Serialize;

use crate::error::ChainError;
use crate::proof::{AttributionProof, ProofError};

/// The verdict on one proof file.
#[derive(Debug, Clone, Serialize)]
pub struct ProofReport {
    /// Whether the proof holds.
    pub valid: bool,
    /// The contribution it is for.
    pub contribution: String,
    /// Its contributor, once the leaf checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contributor: Option<String>,
    /// The datanet.
    pub datanet: String,
    /// The epoch.
    pub epoch: u64,
    /// The anchoring transaction.
    pub tx: String,
    /// Its block.
    pub block: u64,
    /// What does not hold, naming the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ProofReport {
    /// Reads the proof at `path` (`-` for stdin) and checks it against the chain at `rpc`
    /// with `confirmations`.
    ///
    /// # Errors
    /// The file cannot be read or is not a proof, or the chain cannot be asked (which says
    /// nothing of the proof).
    pub async fn check_file(path: &Path, rpc: &str, confirmations: u64) -> Result<Self, String> {
        let text = if path.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin())
        } else {
            std::fs::read_to_string(path)
        }
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let proof: AttributionProof = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not an attribution proof: {e}", path.display()))?;
        let outcome = proof.verify(rpc, confirmations).await;
        if let Err(e @ ProofError::Chain(ChainError::Rpc { .. })) = &outcome {
            return Err(format!("cannot check the proof: {e}"));
        }
        Ok(ProofReport {
            valid: outcome.is_ok(),
            contribution: proof.contribution.clone(),
            contributor: outcome.as_ref().ok().map(|l| l.contributor.to_string()),
            datanet: proof.datanet.clone(),
            epoch: proof.epoch,
            tx: proof.tx.to_string(),
            block: proof.block,
            error: outcome.err().map(|e| e.to_string()),
        })
    }
}

impl std::fmt::Display for ProofReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.error, &self.contributor) {
            (None, Some(contributor)) => write!(
                f,
                "valid: contribution {} by {contributor} is in epoch {} of datanet {}, anchored in tx {} at block {}",
                self.contribution, self.epoch, self.datanet, self.tx, self.block
            ),
            (Some(error), _) => write!(f, "invalid: {error}"),
            (None, None) => write!(f, "invalid"),
        }
    }
}
