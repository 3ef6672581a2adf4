//! Contributor rewards at a node, on the chain's hub: funding a datanet's reward pool in OPEN
//! (what a model operator does), binding this node's contributor key to the EVM address its
//! rewards are paid to, and reading where a datanet's pool and this contributor stand.
//!
//! Transactions are sent from the node's EVM key; the payee binding is authorised by the
//! contributor key's ed25519 signature, so any funded account may send it.

use datanet_chain::{Address, ChainError, TxHash, U256};
use datanet_protocol::{DatanetId, PublicKey};

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
        })
    }

    /// The connected hub client of this node's chain.
    async fn hub(&self) -> Result<std::sync::Arc<dyn datanet_chain::HubClient>, NodeError> {
        self.chain()?.hub().await.map_err(chain_error)
    }
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
