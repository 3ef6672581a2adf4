//! The one interface between a node and its datanet hub, whatever chain it lives on.
//!
//! The daemon's anchoring and the light client's proof checks ask a [`HubClient`], never a
//! JSON-RPC provider directly: [`crate::Hub`] implements it over any EVM endpoint, and
//! anything else that answers the same questions (a chain with another RPC dialect, a test
//! double that drops or reorders transactions) can take its place. Contributor rewards go
//! through it too: funding a datanet's pool, binding a contributor key's payee, claiming.

use alloy::primitives::{Address, TxHash, U256};
use async_trait::async_trait;
use datanet_protocol::{Datanet, DatanetId, PublicKey, SecretKey, ValidatorSet};

use crate::error::ChainError;
use crate::hub::{AnchorOnChain, ChainParams, HubDatanet, HubStakes, SentTx};
use crate::message::AnchorMessage;
use crate::rewards::RewardClaim;

/// What a node reads from and sends to one deployed hub.
#[async_trait]
pub trait HubClient: Send + Sync + std::fmt::Debug {
    /// Where the hub is: RPC URL, chain id, hub address, confirmations to wait.
    fn params(&self) -> &ChainParams;

    /// The address transactions are sent from, if the client has a key.
    fn sender(&self) -> Option<Address>;

    /// The current block number.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    async fn block_number(&self) -> Result<u64, ChainError>;

    /// The datanet as registered, or `None` if the hub does not know it.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    async fn datanet(&self, id: DatanetId) -> Result<Option<HubDatanet>, ChainError>;

    /// The validator set of `datanet` as the hub holds it as of block `at` (or the latest
    /// block): every listed network key that is bound to an EVM address and has stake, with
    /// that stake in network units. `None` if the hub does not know the datanet or nobody has
    /// staked on it yet.
    ///
    /// # Errors
    /// [`ChainError::Rpc`] (also when the endpoint no longer keeps the state of block `at`),
    /// or [`ChainError::BadSet`] when the threshold is not one the network accepts.
    async fn validator_set(
        &self,
        id: DatanetId,
        at: Option<u64>,
    ) -> Result<Option<ValidatorSet>, ChainError>;

    /// The stake on `datanet` of each bound validator, by EVM address, with the threshold
    /// and total: what counts anchor signatures exactly as the hub will. `None` if the hub
    /// does not know the datanet.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    async fn stakes(&self, id: DatanetId) -> Result<Option<HubStakes>, ChainError>;

    /// The EVM address a network key is bound to, if any.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    async fn key_owner(&self, key: &PublicKey) -> Result<Option<Address>, ChainError>;

    /// Binds `network`'s key to the client's EVM address, and waits for the receipt.
    ///
    /// # Errors
    /// [`ChainError::NoSigner`], [`ChainError::Refused`] (already registered, bad binding),
    /// [`ChainError::Reverted`], [`ChainError::Rpc`].
    async fn register_validator(&self, network: &SecretKey) -> Result<TxHash, ChainError>;

    /// Registers `record`'s datanet with its policy hash, validator keys and threshold, owned
    /// by the client's address, and waits for the receipt.
    ///
    /// # Errors
    /// [`ChainError::BadSet`] when the record names no validators; otherwise as
    /// [`HubClient::register_validator`].
    async fn register_datanet(&self, record: &Datanet) -> Result<TxHash, ChainError>;

    /// Approves and stakes `amount` wei of OPEN on `datanet`, waiting for both receipts.
    ///
    /// # Errors
    /// As [`HubClient::register_validator`]; `NotListed` when the datanet does not list the
    /// client's network key.
    async fn stake(&self, datanet: DatanetId, amount: U256) -> Result<TxHash, ChainError>;

    /// Sends the anchor of `message` with `signatures` (any order: the hub wants them
    /// ascending by signer, which this sorts) and returns as soon as the node accepted the
    /// transaction, without waiting for it to be mined: the caller records the hash first.
    ///
    /// With `replacing`, the hash of an earlier anchor transaction of the client's still
    /// waiting in the pool (fees overtaken by a spike), the new one takes its nonce with fees
    /// at least an eighth higher, or the current estimate if that is more: whichever is mined,
    /// the other never can be. If that transaction is no longer known, a fresh one is sent.
    ///
    /// # Errors
    /// [`ChainError::Refused`] when the hub would refuse it (already anchored, too little
    /// stake, a signer without stake), [`ChainError::Rpc`], [`ChainError::NoSigner`].
    async fn submit_anchor(
        &self,
        message: &AnchorMessage,
        signatures: &[[u8; 65]],
        replacing: Option<TxHash>,
    ) -> Result<SentTx, ChainError>;

    /// The anchor of `datanet`'s `epoch`, if the hub holds one, with its transaction.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    async fn anchored(
        &self,
        datanet: DatanetId,
        epoch: u64,
    ) -> Result<Option<AnchorOnChain>, ChainError>;

    /// The `Anchored` event of `datanet`'s `epoch` in block `block`, if there is one.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    async fn anchor_event(
        &self,
        datanet: DatanetId,
        epoch: u64,
        block: u64,
    ) -> Result<Option<AnchorOnChain>, ChainError>;

    /// Every `Anchored` event of `datanet` in blocks `from..=to`, in block order: what a
    /// light client follows.
    ///
    /// # Errors
    /// [`ChainError::Rpc`] (an endpoint may cap the blocks one query spans: ask in slices).
    async fn anchors(
        &self,
        datanet: DatanetId,
        from: u64,
        to: u64,
    ) -> Result<Vec<AnchorOnChain>, ChainError>;

    /// Whether the node still knows `tx` (mined or waiting in its pool); `false` once it was
    /// dropped.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    async fn is_pending(&self, tx: TxHash) -> Result<bool, ChainError>;

    /// Where a transaction stands: `None` while it is not mined (or unknown to the node),
    /// else its block and whether it succeeded.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    async fn receipt(&self, tx: TxHash) -> Result<Option<(u64, bool)>, ChainError>;

    /// Approves and funds `datanet`'s reward pool with `amount` wei of OPEN from the client's
    /// address, waiting for both receipts; the hash returned is the funding transaction's.
    ///
    /// # Errors
    /// As [`HubClient::register_validator`]; `UnknownDatanet`, `BadAmount` (zero), or the
    /// token's `ERC20InsufficientBalance`.
    async fn fund_rewards(&self, datanet: DatanetId, amount: U256) -> Result<TxHash, ChainError>;

    /// Names `payee` as the EVM address `key`'s rewards are paid to, with `key`'s signature,
    /// and waits for the receipt. The client's address only pays the gas: the payee may be
    /// any address.
    ///
    /// # Errors
    /// As [`HubClient::register_validator`]; `PayeeAlreadyBound` when the key has a payee.
    async fn bind_payee(&self, key: &SecretKey, payee: Address) -> Result<TxHash, ChainError>;

    /// The EVM address `key`'s rewards are paid to, if it bound one.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    async fn payee(&self, key: &PublicKey) -> Result<Option<Address>, ChainError>;

    /// All OPEN ever funded into `datanet`'s reward pool, in wei, as of block `at` (or the
    /// latest); zero for a datanet the hub does not know.
    ///
    /// # Errors
    /// [`ChainError::Rpc`] (also when the endpoint no longer keeps the state of block `at`).
    async fn rewards_funded(&self, datanet: DatanetId, at: Option<u64>)
        -> Result<U256, ChainError>;

    /// All OPEN ever paid out of `datanet`'s reward pool, in wei.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    async fn rewards_paid(&self, datanet: DatanetId) -> Result<U256, ChainError>;

    /// What `contributor` was paid on `datanet` so far, in wei: the part of a cumulative
    /// amount its next claim no longer pays.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    async fn claimed(
        &self,
        datanet: DatanetId,
        contributor: &PublicKey,
    ) -> Result<U256, ChainError>;

    /// Claims `claim`'s reward for its contributor (paid to the contributor's payee, whoever
    /// sends it) and waits for the receipt.
    ///
    /// # Errors
    /// [`ChainError::NoSigner`], [`ChainError::Rpc`], [`ChainError::Reverted`], or
    /// [`ChainError::Refused`]: `NotAnchored` (zero root, or not the anchored roots of the
    /// epoch), `BadProof`, `PayeeNotBound`, `NothingToClaim` (already paid this much),
    /// `PoolExhausted` (the pool holds less than the claim).
    async fn claim_reward(&self, claim: &RewardClaim) -> Result<TxHash, ChainError>;
}
