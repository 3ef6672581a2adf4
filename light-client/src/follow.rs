//! Following a datanet on the chain: every `Anchored` event with enough confirmations, in
//! block order, from where the client stopped. For each anchor the final batch is fetched
//! from a storage peer, its proposed root must be the anchored one, and the root is rebuilt
//! from the leaves (each contribution's manifest, fetched and verified against its id, with
//! the batch's certificate): a batch that omits, adds or alters a leaf is refused. Then every
//! contribution in it is sampled. The datanet's last block is recorded only once all its
//! anchors up to it are checked, so a restart resumes without sampling twice.

use std::sync::Arc;
use std::time::Duration;

use datanet_chain::{AnchorOnChain, HubClient};
use datanet_protocol::DatanetId;

use crate::batch::fetch_anchored_batch;
use crate::check::ContributionVerdict;
use crate::client::LightClient;
use crate::error::LightError;

/// Blocks asked for in one log query (endpoints cap the span of one).
const BLOCKS_PER_QUERY: u64 = 5_000;

/// Where and how to follow the chain.
#[derive(Clone)]
pub struct FollowChain {
    /// The hub.
    pub hub: Arc<dyn HubClient>,
    /// The datanets followed.
    pub datanets: Vec<DatanetId>,
    /// The first block to look at for a datanet never followed before.
    pub from_block: u64,
    /// Blocks on and above an anchor before it is taken.
    pub confirmations: u64,
    /// How often the chain is asked for new blocks.
    pub poll: Duration,
}

/// What following reports, one line each.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Followed {
    /// A contribution of an anchored batch was checked.
    Checked {
        /// The epoch of its batch.
        epoch: u64,
        /// The block the batch was anchored in.
        block: u64,
        /// The verdict.
        #[serde(flatten)]
        verdict: ContributionVerdict,
    },
    /// An anchored batch could not be checked yet (no peer had it, or it did not match the
    /// chain); it is tried again.
    Waiting {
        /// The datanet.
        datanet: String,
        /// The epoch.
        epoch: u64,
        /// Why.
        reason: String,
    },
}

impl LightClient {
    /// Follows `follow.datanets` on the chain until the client is shut down, handing each
    /// report to `report`.
    ///
    /// # Errors
    /// A progress-store error (chain and network failures are retried).
    pub async fn follow_chain(
        &self,
        follow: FollowChain,
        mut report: impl FnMut(Followed),
    ) -> Result<(), LightError> {
        for datanet in &follow.datanets {
            self.follow(*datanet).await?;
        }
        let cancel = self.cancelled();
        loop {
            for datanet in &follow.datanets {
                match self.follow_once(&follow, *datanet, &mut report).await {
                    Ok(()) => {}
                    Err(e @ LightError::Progress { .. }) => return Err(e),
                    Err(e) => tracing::warn!(%datanet, error = %e, "following paused; retrying"),
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = tokio::time::sleep(follow.poll) => {}
            }
        }
    }

    /// Checks the anchors of `datanet` from its last block followed up to the newest block
    /// with enough confirmations.
    async fn follow_once(
        &self,
        follow: &FollowChain,
        datanet: DatanetId,
        report: &mut impl FnMut(Followed),
    ) -> Result<(), LightError> {
        let head = follow.hub.block_number().await?;
        let Some(safe) = (head + 1).checked_sub(follow.confirmations.max(1)) else {
            return Ok(());
        };
        let mut from = match self.progress().last_block(&datanet)? {
            Some(done) => done + 1,
            None => follow.from_block,
        };
        while from <= safe {
            let to = safe.min(from + BLOCKS_PER_QUERY - 1);
            for anchor in follow.hub.anchors(datanet, from, to).await? {
                if let Err(reason) = self.check_anchor(datanet, &anchor, report).await {
                    report(Followed::Waiting {
                        datanet: datanet.to_string(),
                        epoch: anchor.epoch,
                        reason,
                    });
                    if anchor.block > 0 {
                        self.progress().set_last_block(&datanet, anchor.block - 1)?;
                    }
                    return Ok(());
                }
            }
            self.progress().set_last_block(&datanet, to)?;
            from = to + 1;
        }
        Ok(())
    }

    /// Fetches and checks the batch of `anchor`, and samples each contribution in it not
    /// checked before (a restart between a verdict and the block it was in being recorded
    /// neither samples nor reports it twice); `Err` with the reason when it cannot be checked
    /// now.
    async fn check_anchor(
        &self,
        datanet: DatanetId,
        anchor: &AnchorOnChain,
        report: &mut impl FnMut(Followed),
    ) -> Result<(), String> {
        let batch = fetch_anchored_batch(self.network(), datanet, anchor).await?;
        for qc in &batch.proposal.body().certificates {
            let id = qc.contribution;
            if self
                .progress()
                .verdict(&id)
                .map_err(|e| e.to_string())?
                .is_some()
            {
                continue;
            }
            let verdict = self.check(id).await.map_err(|e| e.to_string())?;
            report(Followed::Checked {
                epoch: anchor.epoch,
                block: anchor.block,
                verdict,
            });
        }
        Ok(())
    }
}
