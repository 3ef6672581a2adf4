//! A client of one deployed hub over any EVM JSON-RPC endpoint.
//!
//! Reads need no key; transactions (registration, staking, anchoring, funding and claiming
//! rewards) need the caller's [`EvmKey`]. Every refusal by the contract comes back as
//! [`ChainError::Refused`] naming the contract's error, so an operator reads "BelowThreshold {
//! signedStake: …, totalStake: … }" rather than a hex revert; the reward errors add a line
//! saying what they mean ("nothing left to claim: …").

use std::time::{Duration, Instant};

use alloy::consensus::Transaction as _;
use alloy::network::EthereumWallet;
use alloy::primitives::{Address, Bytes, TxHash, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use async_trait::async_trait;
use datanet_protocol::signed::{Threshold, Validator};
use datanet_protocol::{Datanet, DatanetId, Hash, PublicKey, SecretKey, ValidatorSet};

use crate::bindings::{DatanetHub, OpenToken};
use crate::client::HubClient;
use crate::error::ChainError;
use crate::evm_key::EvmKey;
use crate::key_binding;
use crate::message::AnchorMessage;
use crate::payee_binding;
use crate::rewards::RewardClaim;
use crate::stake::stake_units;

/// How long a registration or staking transaction may take to be mined.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);
/// How often a receipt is asked for while waiting.
const RECEIPT_POLL: Duration = Duration::from_millis(200);

/// Where the hub is: what a node's `[chain]` configuration names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainParams {
    /// The JSON-RPC endpoint (http or https).
    pub rpc_url: String,
    /// The chain id the endpoint must serve.
    pub chain_id: u64,
    /// The hub contract's address.
    pub hub: Address,
    /// Blocks on top of an anchor's block before it counts as anchored.
    pub confirmations: u64,
}

impl ChainParams {
    /// The anchor message of `datanet`'s `epoch` on this chain's hub.
    pub fn anchor_message(
        &self,
        datanet: DatanetId,
        epoch: u64,
        batch_root: Hash,
        rewards_root: Hash,
    ) -> AnchorMessage {
        AnchorMessage {
            chain_id: self.chain_id,
            hub: self.hub,
            datanet,
            epoch,
            batch_root,
            rewards_root,
        }
    }
}

/// A datanet as the hub registered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubDatanet {
    /// The EVM address that registered it.
    pub owner: Address,
    /// `H(Policy, enc(policy))` of its record.
    pub policy_hash: Hash,
    /// Its quorum threshold.
    pub threshold: Threshold,
    /// The lowest epoch the hub still accepts an anchor for.
    pub next_epoch: u64,
    /// The stake of its validators, in wei of OPEN.
    pub total_stake: U256,
}

/// A datanet's stakes on the hub, by EVM address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubStakes {
    /// Its quorum threshold.
    pub threshold: Threshold,
    /// The stake of all its validators.
    pub total: U256,
    /// The lowest epoch the hub still accepts an anchor for.
    pub next_epoch: u64,
    /// The stake of each validator with some, by EVM address.
    pub by_owner: std::collections::BTreeMap<Address, U256>,
}

impl HubStakes {
    /// Whether the stake of `signers` passes the threshold, as the hub counts it.
    pub fn reached<'a>(&self, signers: impl IntoIterator<Item = &'a Address>) -> bool {
        let signed = signers
            .into_iter()
            .filter_map(|a| self.by_owner.get(a))
            .fold(U256::ZERO, |sum, s| sum.saturating_add(*s));
        signed.saturating_mul(U256::from(self.threshold.denominator))
            > self
                .total
                .saturating_mul(U256::from(self.threshold.numerator))
    }
}

/// An anchored epoch batch, as found on chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorOnChain {
    /// The epoch anchored.
    pub epoch: u64,
    /// The anchored batch root.
    pub batch_root: Hash,
    /// The anchored rewards root (zero when the epoch pays none).
    pub rewards_root: Hash,
    /// The block the anchor is in.
    pub block: u64,
    /// The transaction that anchored it.
    pub tx: TxHash,
    /// The stake that signed it, and the datanet's total at that moment, in wei of OPEN.
    pub signed_stake: U256,
    /// The datanet's total stake when it was anchored.
    pub total_stake: U256,
}

/// A transaction sent and accepted by the node, not necessarily mined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentTx {
    /// Its hash.
    pub tx: TxHash,
    /// The sender's nonce it uses.
    pub nonce: u64,
}

/// A [`HubClient`] over an EVM JSON-RPC endpoint, connected to one deployed hub.
#[derive(Debug, Clone)]
pub struct Hub {
    provider: DynProvider,
    params: ChainParams,
    sender: Option<Address>,
}

impl Hub {
    /// The chain id the endpoint at `rpc_url` serves, for a caller that names no chain and
    /// trusts its endpoint to say.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    pub async fn chain_id_of(rpc_url: &str) -> Result<u64, ChainError> {
        let rpc = |message: String| ChainError::Rpc {
            url: rpc_url.to_owned(),
            message,
        };
        let url: alloy::transports::http::reqwest::Url = rpc_url
            .parse()
            .map_err(|e| rpc(format!("not a URL: {e}")))?;
        ProviderBuilder::new()
            .connect_http(url)
            .get_chain_id()
            .await
            .map_err(|e| rpc(e.to_string()))
    }

    /// Connects to `params.rpc_url`, checks that it serves `params.chain_id` and that a
    /// contract lives at `params.hub`. With `key`, the client can send transactions from it.
    ///
    /// # Errors
    /// [`ChainError::Rpc`], [`ChainError::WrongChain`], [`ChainError::NoHub`].
    pub async fn connect(params: ChainParams, key: Option<&EvmKey>) -> Result<Self, ChainError> {
        let url: alloy::transports::http::reqwest::Url =
            params.rpc_url.parse().map_err(|e| ChainError::Rpc {
                url: params.rpc_url.clone(),
                message: format!("not a URL: {e}"),
            })?;
        let provider = match key {
            // Nonces are asked of the node for each transaction: a cached nonce runs ahead
            // of the chain when a send fails after it was taken, and every later transaction
            // then waits behind the gap.
            Some(key) => ProviderBuilder::new()
                .disable_recommended_fillers()
                .with_gas_estimation()
                .with_simple_nonce_management()
                .with_chain_id(params.chain_id)
                .wallet(EthereumWallet::from(key.signer()))
                .connect_http(url)
                .erased(),
            None => ProviderBuilder::new().connect_http(url).erased(),
        };
        let hub = Hub {
            provider,
            sender: key.map(EvmKey::address),
            params,
        };
        let chain_id = hub.provider.get_chain_id().await.map_err(|e| hub.rpc(e))?;
        if chain_id != hub.params.chain_id {
            return Err(ChainError::WrongChain {
                expected: hub.params.chain_id,
                got: chain_id,
            });
        }
        let code = hub
            .provider
            .get_code_at(hub.params.hub)
            .await
            .map_err(|e| hub.rpc(e))?;
        if code.is_empty() {
            return Err(ChainError::NoHub(hub.params.hub));
        }
        Ok(hub)
    }

    /// The provider, for callers that need a raw RPC method.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    fn contract(&self) -> DatanetHub::DatanetHubInstance<DynProvider> {
        DatanetHub::new(self.params.hub, self.provider.clone())
    }

    /// The datanet as registered and its listed keys with their owners and stakes; `None`
    /// if the hub does not know it.
    /// As of block `at`, or the latest.
    async fn listed(
        &self,
        id: DatanetId,
        at: Option<u64>,
    ) -> Result<Option<(HubDatanet, DatanetHub::validatorSetReturn)>, ChainError> {
        let Some(datanet) = self.datanet_at(id, at).await? else {
            return Ok(None);
        };
        let set = self
            .contract()
            .validatorSet(b256(id.0 .0))
            .call()
            .block(block_id(at))
            .await
            .map_err(|e| self.refused("validatorSet", e))?;
        Ok(Some((datanet, set)))
    }

    /// The datanet as registered as of block `at` (or the latest), or `None` if the hub did
    /// not know it then.
    async fn datanet_at(
        &self,
        id: DatanetId,
        at: Option<u64>,
    ) -> Result<Option<HubDatanet>, ChainError> {
        match self
            .contract()
            .datanet(b256(id.0 .0))
            .call()
            .block(block_id(at))
            .await
        {
            Ok(d) => Ok(Some(HubDatanet {
                owner: d.owner,
                policy_hash: Hash(d.policyHash.0),
                threshold: Threshold {
                    numerator: d.numerator,
                    denominator: d.denominator,
                },
                next_epoch: d.nextEpoch,
                total_stake: d.totalStake,
            })),
            Err(e) if unknown_datanet(&e) => Ok(None),
            Err(e) => Err(self.refused("datanet", e)),
        }
    }

    /// Every `Anchored` event of `datanet`'s `epoch` since block `from`: one on a sound hub,
    /// whatever reorgs and resubmissions happened (what the exactly-once tests count).
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    pub async fn anchor_history(
        &self,
        datanet: DatanetId,
        epoch: u64,
        from: u64,
    ) -> Result<Vec<AnchorOnChain>, ChainError> {
        let filter = self.anchored_filter(datanet, epoch).from_block(from);
        self.anchor_events(&filter).await
    }

    /// The filter of the hub's `Anchored` events of `datanet`'s `epoch`.
    fn anchored_filter(&self, datanet: DatanetId, epoch: u64) -> Filter {
        self.datanet_anchors_filter(datanet)
            .topic2(B256::from(U256::from(epoch)))
    }

    /// The filter of the hub's `Anchored` events of `datanet`.
    fn datanet_anchors_filter(&self, datanet: DatanetId) -> Filter {
        Filter::new()
            .address(self.params.hub)
            .event_signature(DatanetHub::Anchored::SIGNATURE_HASH)
            .topic1(b256(datanet.0 .0))
    }

    /// The `Anchored` events `filter` selects, decoded.
    async fn anchor_events(&self, filter: &Filter) -> Result<Vec<AnchorOnChain>, ChainError> {
        let logs = self
            .provider
            .get_logs(filter)
            .await
            .map_err(|e| self.rpc(e))?;
        Ok(logs
            .into_iter()
            .filter_map(|log| {
                let tx = log.transaction_hash?;
                let block = log.block_number?;
                let event = DatanetHub::Anchored::decode_log(&log.inner).ok()?;
                Some(AnchorOnChain {
                    epoch: event.epoch,
                    batch_root: Hash(event.batchRoot.0),
                    rewards_root: Hash(event.rewardsRoot.0),
                    block,
                    tx,
                    signed_stake: event.signedStake,
                    total_stake: event.totalStake,
                })
            })
            .collect())
    }

    async fn transact<P, D>(
        &self,
        call: &'static str,
        builder: alloy::contract::CallBuilder<P, D>,
    ) -> Result<TxHash, ChainError>
    where
        P: Provider,
        D: alloy::contract::CallDecoder,
    {
        let pending = builder.send().await.map_err(|e| self.refused(call, e))?;
        let tx = *pending.tx_hash();
        let (block, ok) =
            self.mined(tx, RECEIPT_TIMEOUT)
                .await?
                .ok_or_else(|| ChainError::Rpc {
                    url: self.params.rpc_url.clone(),
                    message: format!(
                        "{call} transaction {tx} not mined within {RECEIPT_TIMEOUT:?}"
                    ),
                })?;
        if !ok {
            return Err(ChainError::Reverted {
                call,
                tx: tx.to_string(),
                block,
            });
        }
        Ok(tx)
    }

    /// Waits up to `timeout` for `tx` to be mined, polling its receipt: its block and whether
    /// it succeeded, or `None` if it is still not mined.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    pub async fn mined(
        &self,
        tx: TxHash,
        timeout: Duration,
    ) -> Result<Option<(u64, bool)>, ChainError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(mined) = self.receipt(tx).await? {
                return Ok(Some(mined));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(RECEIPT_POLL).await;
        }
    }

    fn rpc(&self, e: impl std::fmt::Display) -> ChainError {
        ChainError::Rpc {
            url: self.params.rpc_url.clone(),
            message: e.to_string(),
        }
    }

    /// The token the hub stakes and pays rewards in.
    async fn token(&self) -> Result<OpenToken::OpenTokenInstance<DynProvider>, ChainError> {
        let token_address = self
            .contract()
            .token()
            .call()
            .await
            .map_err(|e| self.refused("token", e))?;
        Ok(OpenToken::new(token_address, self.provider.clone()))
    }

    fn refused(&self, call: &'static str, e: alloy::contract::Error) -> ChainError {
        if let Some(error) = e.as_decoded_interface_error::<DatanetHub::DatanetHubErrors>() {
            let reason = match reward_refusal(&error) {
                Some(meaning) => format!("{error:?}: {meaning}"),
                None => format!("{error:?}"),
            };
            return ChainError::Refused { call, reason };
        }
        if let Some(error) = e.as_decoded_interface_error::<OpenToken::OpenTokenErrors>() {
            return ChainError::Refused {
                call,
                reason: format!("{error:?}"),
            };
        }
        if let Some(data) = e.as_revert_data() {
            return ChainError::Refused {
                call,
                reason: format!("reverted with {data}"),
            };
        }
        self.rpc(e)
    }
}

#[async_trait]
impl HubClient for Hub {
    fn sender(&self) -> Option<Address> {
        self.sender
    }

    fn params(&self) -> &ChainParams {
        &self.params
    }

    async fn block_number(&self) -> Result<u64, ChainError> {
        self.provider
            .get_block_number()
            .await
            .map_err(|e| self.rpc(e))
    }

    async fn datanet(&self, id: DatanetId) -> Result<Option<HubDatanet>, ChainError> {
        self.datanet_at(id, None).await
    }

    async fn validator_set(
        &self,
        id: DatanetId,
        at: Option<u64>,
    ) -> Result<Option<ValidatorSet>, ChainError> {
        let Some((datanet, set)) = self.listed(id, at).await? else {
            return Ok(None);
        };
        let validators: Vec<Validator> = set
            .keys
            .iter()
            .zip(set.owners.iter().zip(set.stakes.iter()))
            .filter(|(_, (owner, _))| !owner.is_zero())
            .filter_map(|(key, (_, stake))| {
                let stake = stake_units(*stake);
                let key = PublicKey::from_bytes(&key.0).ok()?;
                (stake > 0).then_some(Validator { key, stake })
            })
            .collect();
        if validators.is_empty() {
            return Ok(None);
        }
        ValidatorSet::new(validators, datanet.threshold)
            .map(Some)
            .map_err(|e| ChainError::BadSet(e.to_string()))
    }

    async fn stakes(&self, id: DatanetId) -> Result<Option<HubStakes>, ChainError> {
        let Some((datanet, set)) = self.listed(id, None).await? else {
            return Ok(None);
        };
        let by_owner = set
            .owners
            .into_iter()
            .zip(set.stakes)
            .filter(|(owner, stake)| !owner.is_zero() && !stake.is_zero())
            .collect();
        Ok(Some(HubStakes {
            threshold: datanet.threshold,
            total: datanet.total_stake,
            next_epoch: datanet.next_epoch,
            by_owner,
        }))
    }

    async fn key_owner(&self, key: &PublicKey) -> Result<Option<Address>, ChainError> {
        let owner = self
            .contract()
            .keyOwner(b256(key.to_bytes()))
            .call()
            .await
            .map_err(|e| self.refused("keyOwner", e))?;
        Ok((!owner.is_zero()).then_some(owner))
    }

    async fn register_validator(&self, network: &SecretKey) -> Result<TxHash, ChainError> {
        let sender = self.sender.ok_or(ChainError::NoSigner)?;
        let (r, s) = key_binding::sign(network, self.params.chain_id, self.params.hub, sender);
        let call = self.contract();
        let call = call.registerValidator(b256(network.public().to_bytes()), r, s);
        self.transact("registerValidator", call).await
    }

    async fn register_datanet(&self, record: &Datanet) -> Result<TxHash, ChainError> {
        self.sender.ok_or(ChainError::NoSigner)?;
        let set =
            record.body().validators.as_ref().ok_or_else(|| {
                ChainError::BadSet("the datanet record names no validators".into())
            })?;
        let mut keys: Vec<B256> = set.validators().map(|v| b256(v.key.to_bytes())).collect();
        keys.sort();
        let threshold = set.threshold();
        let call = self.contract();
        let call = call.registerDatanet(
            b256(record.id().0 .0),
            b256(record.body().policy.hash().0),
            keys,
            threshold.numerator,
            threshold.denominator,
        );
        self.transact("registerDatanet", call).await
    }

    async fn stake(&self, datanet: DatanetId, amount: U256) -> Result<TxHash, ChainError> {
        self.sender.ok_or(ChainError::NoSigner)?;
        let token = self.token().await?;
        self.transact("approve", token.approve(self.params.hub, amount))
            .await?;
        let call = self.contract();
        self.transact("stake", call.stake(b256(datanet.0 .0), amount))
            .await
    }

    async fn submit_anchor(
        &self,
        message: &AnchorMessage,
        signatures: &[[u8; 65]],
        replacing: Option<TxHash>,
    ) -> Result<SentTx, ChainError> {
        let sender = self.sender.ok_or(ChainError::NoSigner)?;
        let mut signed: Vec<(Address, Bytes)> = signatures
            .iter()
            .filter_map(|s| Some((message.signer(s)?, Bytes::copy_from_slice(s))))
            .collect();
        signed.sort_by_key(|(signer, _)| *signer);
        signed.dedup_by_key(|(signer, _)| *signer);
        let call = self.contract();
        let call = call.anchor(
            b256(message.datanet.0 .0),
            message.epoch,
            b256(message.batch_root.0),
            b256(message.rewards_root.0),
            signed.into_iter().map(|(_, s)| s).collect(),
        );
        let stuck = match replacing {
            Some(tx) => self
                .provider
                .get_transaction_by_hash(tx)
                .await
                .map_err(|e| self.rpc(e))?
                .filter(|t| t.block_number.is_none()),
            None => None,
        };
        let call = match stuck {
            Some(old) => {
                let fresh = self
                    .provider
                    .estimate_eip1559_fees()
                    .await
                    .map_err(|e| self.rpc(e))?;
                let bump = |fee: u128| fee + fee / 8 + 1;
                let max_fee = fresh.max_fee_per_gas.max(bump(old.max_fee_per_gas()));
                let tip = fresh
                    .max_priority_fee_per_gas
                    .max(bump(old.max_priority_fee_per_gas().unwrap_or(0)))
                    .min(max_fee);
                // The gas is the old transaction's: estimating it again would run the call
                // on top of the old one, which the hub refuses as a second anchor.
                call.nonce(old.nonce())
                    .gas(old.gas_limit())
                    .max_fee_per_gas(max_fee)
                    .max_priority_fee_per_gas(tip)
            }
            None => {
                let nonce = self
                    .provider
                    .get_transaction_count(sender)
                    .pending()
                    .await
                    .map_err(|e| self.rpc(e))?;
                call.nonce(nonce)
            }
        };
        let nonce = call.as_ref().nonce.unwrap_or_default();
        let pending = call.send().await.map_err(|e| self.refused("anchor", e))?;
        Ok(SentTx {
            tx: *pending.tx_hash(),
            nonce,
        })
    }

    async fn anchored(
        &self,
        datanet: DatanetId,
        epoch: u64,
    ) -> Result<Option<AnchorOnChain>, ChainError> {
        let block = self
            .contract()
            .anchorBlock(b256(datanet.0 .0), epoch)
            .call()
            .await
            .map_err(|e| self.refused("anchorBlock", e))?;
        if block == 0 {
            return Ok(None);
        }
        self.anchor_event(datanet, epoch, block).await
    }

    async fn anchor_event(
        &self,
        datanet: DatanetId,
        epoch: u64,
        block: u64,
    ) -> Result<Option<AnchorOnChain>, ChainError> {
        let filter = self
            .anchored_filter(datanet, epoch)
            .from_block(block)
            .to_block(block);
        Ok(self.anchor_events(&filter).await?.into_iter().next())
    }

    async fn anchors(
        &self,
        datanet: DatanetId,
        from: u64,
        to: u64,
    ) -> Result<Vec<AnchorOnChain>, ChainError> {
        let filter = self
            .datanet_anchors_filter(datanet)
            .from_block(from)
            .to_block(to);
        let mut anchors = self.anchor_events(&filter).await?;
        anchors.sort_by_key(|a| (a.block, a.epoch));
        Ok(anchors)
    }

    async fn is_pending(&self, tx: TxHash) -> Result<bool, ChainError> {
        let known = self
            .provider
            .get_transaction_by_hash(tx)
            .await
            .map_err(|e| self.rpc(e))?;
        Ok(known.is_some())
    }

    async fn receipt(&self, tx: TxHash) -> Result<Option<(u64, bool)>, ChainError> {
        let receipt = self
            .provider
            .get_transaction_receipt(tx)
            .await
            .map_err(|e| self.rpc(e))?;
        Ok(receipt.and_then(|r| Some((r.block_number?, r.status()))))
    }

    async fn fund_rewards(&self, datanet: DatanetId, amount: U256) -> Result<TxHash, ChainError> {
        self.sender.ok_or(ChainError::NoSigner)?;
        let token = self.token().await?;
        self.transact("approve", token.approve(self.params.hub, amount))
            .await?;
        let call = self.contract();
        self.transact("fund", call.fund(b256(datanet.0 .0), amount))
            .await
    }

    async fn bind_payee(&self, key: &SecretKey, payee: Address) -> Result<TxHash, ChainError> {
        self.sender.ok_or(ChainError::NoSigner)?;
        let (r, s) = payee_binding::sign(key, self.params.chain_id, self.params.hub, payee);
        let call = self.contract();
        let call = call.bindPayee(b256(key.public().to_bytes()), payee, r, s);
        self.transact("bindPayee", call).await
    }

    async fn payee(&self, key: &PublicKey) -> Result<Option<Address>, ChainError> {
        let payee = self
            .contract()
            .payeeOf(b256(key.to_bytes()))
            .call()
            .await
            .map_err(|e| self.refused("payeeOf", e))?;
        Ok((!payee.is_zero()).then_some(payee))
    }

    async fn rewards_funded(
        &self,
        datanet: DatanetId,
        at: Option<u64>,
    ) -> Result<U256, ChainError> {
        self.contract()
            .fundedOf(b256(datanet.0 .0))
            .call()
            .block(block_id(at))
            .await
            .map_err(|e| self.refused("fundedOf", e))
    }

    async fn rewards_paid(&self, datanet: DatanetId) -> Result<U256, ChainError> {
        self.contract()
            .paidOf(b256(datanet.0 .0))
            .call()
            .await
            .map_err(|e| self.refused("paidOf", e))
    }

    async fn claimed(
        &self,
        datanet: DatanetId,
        contributor: &PublicKey,
    ) -> Result<U256, ChainError> {
        self.contract()
            .claimedOf(b256(datanet.0 .0), b256(contributor.to_bytes()))
            .call()
            .await
            .map_err(|e| self.refused("claimedOf", e))
    }

    async fn claim_reward(&self, claim: &RewardClaim) -> Result<TxHash, ChainError> {
        self.sender.ok_or(ChainError::NoSigner)?;
        let call = self.contract();
        let call = call.claim(
            b256(claim.datanet.0 .0),
            claim.epoch,
            b256(claim.batch_root.0),
            b256(claim.rewards_root.0),
            b256(claim.contributor.to_bytes()),
            claim.cumulative,
            claim.proof.clone(),
        );
        self.transact("claim", call).await
    }
}

/// Whether a call failed because the hub does not know the datanet.
fn unknown_datanet(e: &alloy::contract::Error) -> bool {
    matches!(
        e.as_decoded_interface_error::<DatanetHub::DatanetHubErrors>(),
        Some(DatanetHub::DatanetHubErrors::UnknownDatanet(_))
    )
}

/// What a refusal of a rewards call means, in words, for the reward errors whose name alone
/// does not say what to do.
fn reward_refusal(error: &DatanetHub::DatanetHubErrors) -> Option<&'static str> {
    use DatanetHub::DatanetHubErrors as E;
    Some(match error {
        E::NotAnchored(_) => "not anchored: no such (epoch, batch root, rewards root) on the hub",
        E::BadProof(_) => "bad proof: the (contributor, cumulative) leaf is not in the root",
        E::PayeeNotBound(_) => "the contributor's key has no payee yet: bind one first",
        E::NothingToClaim(_) => "nothing left to claim: the contributor was paid this much",
        E::PoolExhausted(_) => "the reward pool holds less than the claim: it needs funding",
        E::PayeeAlreadyBound(_) => "the key already has a payee, which cannot change",
        E::BadPayeeBinding(_) => "the signature does not bind this key to this payee",
        _ => return None,
    })
}

/// Block `at`, or the latest.
fn block_id(at: Option<u64>) -> alloy::eips::BlockId {
    at.map_or(alloy::eips::BlockId::latest(), alloy::eips::BlockId::number)
}

/// A 32-byte value as the contract's `bytes32`.
fn b256(bytes: [u8; 32]) -> B256 {
    B256::from(bytes)
}
