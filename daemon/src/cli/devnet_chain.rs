//! The devnet's chain: a local anvil with the hub and the OPEN token deployed, each daemon's
//! EVM key funded, its validator key bound and staked on the devnet's datanet, and the
//! sample's batch followed until it is anchored and its attribution proof checks against the
//! chain alone.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use datanet_chain::{AttributionProof, DevChain, HubClient};
use serde::Serialize;

use super::client::Client;
use super::devnet_rewards::POOL_OPEN;
use super::home;
use super::CliError;
use crate::api::views::{ChainTxView, ContributionView, RegisterValidatorRequest};

/// OPEN each daemon gets, and stakes on the devnet's datanet.
const STAKE_OPEN: u64 = 100;
/// How long the sample's batch may take to be anchored once it is final.
const ANCHOR_TIMEOUT: Duration = Duration::from_secs(120);
/// How often the anchor is polled.
const POLL: Duration = Duration::from_millis(200);
/// The attribution proof's file in the devnet's folder.
const PROOF: &str = "proof.json";

/// The devnet's running chain.
pub(super) struct Chain {
    dev: DevChain,
}

/// Where the sample's batch was anchored, and its proof.
#[derive(Debug, Serialize)]
pub(super) struct Anchored {
    pub(super) epoch: u64,
    pub(super) tx: String,
    pub(super) block: u64,
    pub(super) confirmations: Option<u64>,
    pub(super) proof: PathBuf,
    pub(super) rpc_url: String,
}

fn chain_error(e: impl std::fmt::Display) -> CliError {
    CliError::Other(e.to_string())
}

impl Chain {
    /// Starts anvil under `dir` (its log in `anvil.log`) and deploys the contracts.
    pub(super) async fn start(dir: &Path) -> Result<Chain, CliError> {
        let dev = DevChain::start(&dir.join("anvil.log"), None, 60)
            .await
            .map_err(|e| {
                CliError::Other(format!(
                    "{e}\n(scripts/devnet.sh installs anvil; or run with --no-chain)"
                ))
            })?;
        Ok(Chain { dev })
    }

    /// The JSON-RPC endpoint.
    pub(super) fn rpc_url(&self) -> &str {
        self.dev.rpc_url()
    }

    /// A client of the devnet's hub, reading only.
    pub(super) async fn hub(&self) -> Result<std::sync::Arc<dyn HubClient>, CliError> {
        let d = self.dev.deployment();
        let params = datanet_chain::ChainParams {
            rpc_url: self.dev.rpc_url().to_owned(),
            chain_id: self.dev.chain_id(),
            hub: d.hub,
            confirmations: 1,
        };
        let hub = datanet_chain::Hub::connect(params, None)
            .await
            .map_err(chain_error)?;
        Ok(std::sync::Arc::new(hub))
    }

    /// What a line of the walk-through says about the chain.
    pub(super) fn describe(&self) -> String {
        let d = self.dev.deployment();
        format!(
            "  anvil at {} (chain {}), hub {}, OPEN token {}",
            self.dev.rpc_url(),
            self.dev.chain_id(),
            d.hub,
            d.token
        )
    }

    /// The `[chain]` settings of a devnet home.
    pub(super) fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("chain.rpc_url", home::toml_string(self.dev.rpc_url())),
            ("chain.chain_id", self.dev.chain_id().to_string()),
            (
                "chain.hub",
                home::toml_string(&self.dev.deployment().hub.to_string()),
            ),
            ("chain.confirmations", "1".into()),
        ]
    }

    /// Gives the EVM address `evm` gas money, [`STAKE_OPEN`] OPEN to stake and
    /// [`POOL_OPEN`] more to fund a reward pool with.
    pub(super) async fn fund(&self, evm: &str) -> Result<(), CliError> {
        let address = evm.parse().map_err(chain_error)?;
        let open = datanet_chain::parse_open(&(STAKE_OPEN + POOL_OPEN).to_string())
            .map_err(chain_error)?;
        self.dev.fund(address, 10, open).await.map_err(chain_error)
    }
}

/// Binds each daemon's validator key to its EVM key on the hub.
pub(super) async fn bind_validators(clients: &[&Client]) -> Result<(), CliError> {
    for client in clients {
        let request = RegisterValidatorRequest {
            datanet: None,
            stake: None,
        };
        let _: ChainTxView = client.post("/v1/validator/chain", &request).await?;
    }
    Ok(())
}

/// Registers `datanet` on the hub from `owner` and has every daemon stake on it.
pub(super) async fn register_datanet(
    owner: &Client,
    clients: &[&Client],
    datanet: &str,
) -> Result<String, CliError> {
    let sent: ChainTxView = owner
        .post(&format!("/v1/datanets/{datanet}/chain"), &())
        .await?;
    for client in clients {
        let request = RegisterValidatorRequest {
            datanet: Some(datanet.to_owned()),
            stake: Some(STAKE_OPEN.to_string()),
        };
        let _: ChainTxView = client.post("/v1/validator/chain", &request).await?;
    }
    Ok(sent.txs.join(", "))
}

/// Waits until `client`'s node holds contribution `id`'s batch as anchored, writes its
/// proof to `dir`, and checks the proof against the chain alone.
pub(super) async fn anchored(
    chain: &Chain,
    client: &Client,
    id: &str,
    dir: &Path,
) -> Result<Anchored, CliError> {
    let (epoch, tx, block, confirmations) = wait_anchored(client, id).await?;
    let proof: AttributionProof = client.get(&format!("/v1/contributions/{id}/proof")).await?;
    let path = dir.join(PROOF);
    let text = serde_json::to_string_pretty(&proof).map_err(chain_error)?;
    std::fs::write(&path, format!("{text}\n"))
        .map_err(|e| CliError::Other(format!("cannot write {}: {e}", path.display())))?;
    proof
        .verify(chain.rpc_url(), 1)
        .await
        .map_err(|e| CliError::Other(format!("the devnet's own proof does not verify: {e}")))?;
    Ok(Anchored {
        epoch,
        tx,
        block,
        confirmations,
        proof: path,
        rpc_url: chain.rpc_url().to_owned(),
    })
}

/// Waits until the batch holding contribution `id` is anchored, as the daemon behind
/// `client` sees it: its epoch, transaction, block and confirmations.
pub(super) async fn wait_anchored(
    client: &Client,
    id: &str,
) -> Result<(u64, String, u64, Option<u64>), CliError> {
    let deadline = Instant::now() + ANCHOR_TIMEOUT;
    loop {
        let view: ContributionView = client.get(&format!("/v1/contributions/{id}")).await?;
        let validation = view.validation.as_ref();
        let anchor = validation.and_then(|v| v.anchored.as_ref());
        if let (Some(epoch), Some(a)) = (validation.and_then(|v| v.epoch), anchor) {
            if let (Some(tx), Some(block)) = (&a.tx, a.block) {
                return Ok((epoch, tx.clone(), block, a.confirmations));
            }
        }
        if Instant::now() > deadline {
            return Err(CliError::Other(format!(
                "the batch of {id} was not anchored within {} s",
                ANCHOR_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}
