//! Contributor rewards at a node, on the chain's hub: funding a datanet's reward pool in OPEN
//! (what a model operator does), binding this node's contributor key to the EVM address its
//! rewards are paid to, reading where a datanet's pool and this contributor stand, and
//! claiming what the newest anchored rewards root owes this contributor.
//!
//! Transactions are sent from the node's EVM key; the payee binding is authorised by the
//! contributor key's ed25519 signature, so any funded account may send it.

use datanet_chain::{Address, ChainError, RewardClaim, TxHash, U256};
use datanet_protocol::{DatanetId, PublicKey};
use datanet_storage::{AnchorState, Store, StoreError};

use crate::quorum::rewards::{tree, Ledger};

use crate::{Node, NodeError};

/// Where a datanet's reward pool and this node's contributor stand on the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardsStatus {
    /// The datanet.
    pub datanet: DatanetId,
    /// OPEN ever funded into its pool, in wei.
    pub funded: U256,
    /// OPEN paid out of it by claims, in wei.
    pub paid: U256,
    /// This node's contributor key.
    pub contributor: PublicKey,
    /// The address its rewards are paid to, once bound.
    pub payee: Option<Address>,
    /// OPEN this contributor has claimed from the pool, in wei.
    pub claimed: U256,
    /// What this contributor has earned up to the newest rewards root anchored here, in
    /// wei, and that root's epoch; `None` before any.
    pub earned: Option<(u64, U256)>,
}

impl RewardsStatus {
    /// What this contributor may claim now: earned less claimed.
    pub fn due(&self) -> U256 {
        self.earned.map_or(U256::ZERO, |(_, earned)| {
            earned.saturating_sub(self.claimed)
        })
    }
}

/// A claim sent: the epoch whose root it was made against, what it paid and its transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The anchored epoch whose rewards root holds this contributor's leaf.
    pub epoch: u64,
    /// Everything earned up to that epoch, in wei.
    pub cumulative: U256,
    /// What this claim paid: the cumulative less what was claimed before, in wei.
    pub paid: U256,
    /// The transaction.
    pub tx: TxHash,
}

impl Node {
    /// Funds `datanet`'s reward pool with `amount` wei of OPEN from this node's EVM key
    /// (approving the hub first); the transaction.
    ///
    /// # Errors
    /// [`NodeError::NotAnchored`] without a chain; [`NodeError::UnknownDatanet`];
    /// [`NodeError::ChainUnreachable`]; [`NodeError::Invalid`] with the chain's refusal (no
    /// EVM key, too little OPEN, a datanet the hub does not know).
    pub async fn fund_rewards(
        &self,
        datanet: DatanetId,
        amount: U256,
    ) -> Result<TxHash, NodeError> {
        self.datanet(datanet).await?;
        let hub = self.hub().await?;
        if hub.sender().is_none() {
            return Err(no_sender());
        }
        hub.fund_rewards(datanet, amount).await.map_err(chain_error)
    }

    /// Binds this node's contributor key to `payee` (this node's EVM address when `None`)
    /// on the hub, so that its rewards are paid there; `None` when it is bound to that
    /// address already.
    ///
    /// # Errors
    /// [`NodeError::NotAnchored`] without a chain; [`NodeError::ChainUnreachable`];
    /// [`NodeError::Invalid`] when the key is bound to another address (a binding is for
    /// good), there is no EVM key to send from, or the chain refuses.
    pub async fn bind_payee(&self, payee: Option<Address>) -> Result<Option<TxHash>, NodeError> {
        let hub = self.hub().await?;
        let sender = hub.sender().ok_or_else(no_sender)?;
        let payee = payee.unwrap_or(sender);
        let key = self.contributor.public();
        match hub.payee(&key).await.map_err(chain_error)? {
            Some(bound) if bound == payee => Ok(None),
            Some(bound) => Err(NodeError::Invalid(format!(
                "contributor key {key} is paid to {bound} already; a payee binding is for good"
            ))),
            None => Ok(Some(
                hub.bind_payee(&self.contributor, payee)
                    .await
                    .map_err(chain_error)?,
            )),
        }
    }

    /// Where `datanet`'s pool and this node's contributor stand on the hub.
    ///
    /// # Errors
    /// [`NodeError::NotAnchored`] without a chain; [`NodeError::ChainUnreachable`].
    pub async fn rewards(&self, datanet: DatanetId) -> Result<RewardsStatus, NodeError> {
        let hub = self.hub().await?;
        let contributor = self.contributor.public();
        Ok(RewardsStatus {
            datanet,
            funded: hub
                .rewards_funded(datanet, None)
                .await
                .map_err(chain_error)?,
            paid: hub.rewards_paid(datanet).await.map_err(chain_error)?,
            contributor,
            payee: hub.payee(&contributor).await.map_err(chain_error)?,
            claimed: hub
                .claimed(datanet, &contributor)
                .await
                .map_err(chain_error)?,
            earned: self
                .newest_claim(datanet)
                .await?
                .map(|claim| (claim.epoch, claim.cumulative)),
        })
    }

    /// Claims from `datanet`'s pool what the newest rewards root anchored here owes this
    /// node's contributor key, paid to its bound payee.
    ///
    /// # Errors
    /// [`NodeError::NotAnchored`] without a chain; [`NodeError::ChainUnreachable`];
    /// [`NodeError::Invalid`] when no anchored root pays this contributor, or the hub refuses
    /// (no payee bound, nothing left to claim, a pool that is out).
    pub async fn claim_rewards(&self, datanet: DatanetId) -> Result<Claimed, NodeError> {
        self.datanet(datanet).await?;
        let hub = self.hub().await?;
        if hub.sender().is_none() {
            return Err(no_sender());
        }
        let claim = self.newest_claim(datanet).await?.ok_or_else(|| {
            NodeError::Invalid(format!(
                "no rewards root anchored for datanet {datanet} pays contributor {}",
                self.contributor.public()
            ))
        })?;
        let before = hub
            .claimed(datanet, &claim.contributor)
            .await
            .map_err(chain_error)?;
        if claim.cumulative <= before {
            return Err(NodeError::Invalid(format!(
                "nothing to claim: {} wei earned up to epoch {} and {before} wei claimed already",
                claim.cumulative, claim.epoch
            )));
        }
        let tx = hub.claim_reward(&claim).await.map_err(chain_error)?;
        Ok(Claimed {
            epoch: claim.epoch,
            cumulative: claim.cumulative,
            paid: claim.cumulative - before,
            tx,
        })
    }

    /// The claim of this node's contributor against the newest rewards root of `datanet`
    /// that this node has seen anchored and that pays it; `None` when there is none.
    async fn newest_claim(&self, datanet: DatanetId) -> Result<Option<RewardClaim>, NodeError> {
        let me = self.contributor.public();
        Ok(self
            .store()
            .run(move |s| newest_claim(s, datanet, &me))
            .await?)
    }

    /// The connected hub client of this node's chain.
    async fn hub(&self) -> Result<std::sync::Arc<dyn datanet_chain::HubClient>, NodeError> {
        self.chain()?.hub().await.map_err(chain_error)
    }
}

/// The claim of `contributor` against the newest paying batch of `datanet` whose anchor is
/// confirmed here with its batch root.
fn newest_claim(
    store: &Store,
    datanet: DatanetId,
    contributor: &PublicKey,
) -> Result<Option<RewardClaim>, StoreError> {
    let mut batches = store.batches_of(&datanet)?;
    batches.sort_by_key(|b| std::cmp::Reverse(b.proposal.body().epoch));
    for batch in batches {
        let body = batch.proposal.body();
        if body.payments.is_empty() {
            continue;
        }
        let confirmed = store.anchor(&datanet, body.epoch)?.is_some_and(|a| {
            a.batch_root == body.root && matches!(a.state, AnchorState::Confirmed { .. })
        });
        if !confirmed {
            continue;
        }
        let ledger = Ledger::before(store, &datanet, body.epoch + 1)?;
        let tree = tree(&ledger.cumulative);
        if tree.root() != body.rewards_root {
            tracing::warn!(%datanet, epoch = body.epoch,
                "an earlier paying batch is missing here, so this root's leaves cannot be rebuilt");
            continue;
        }
        return Ok(tree.claim(datanet, body.epoch, body.root, contributor));
    }
    Ok(None)
}

fn no_sender() -> NodeError {
    NodeError::Invalid(
        "this node has no EVM key to send transactions from (datanet init --validator makes one)"
            .into(),
    )
}

/// A chain that cannot be reached is the node's trouble (503); anything else the chain says
/// is a refusal of what was asked (400).
fn chain_error(e: ChainError) -> NodeError {
    match e {
        ChainError::Rpc { .. } => NodeError::ChainUnreachable(e.to_string()),
        other => NodeError::Invalid(format!("the chain: {other}")),
    }
}
