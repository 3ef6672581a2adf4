//! A local chain for tests and the devnet: anvil (installed from `contracts/package-lock.json`
//! by the test and devnet scripts) on a free loopback port, and the contracts deployed on it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::primitives::{b256, Address, U256};
use alloy::providers::{Provider, ProviderBuilder};

use crate::bindings::{DatanetHub, OpenToken};
use crate::error::ChainError;
use crate::evm_key::EvmKey;

/// The first of anvil's well-known development accounts (its default mnemonic): it holds
/// 10 000 ETH on a fresh anvil and deploys the contracts. Never a key for a real chain.
const DEV_DEPLOYER: alloy::primitives::B256 =
    b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
/// anvil's chain id.
pub const DEV_CHAIN_ID: u64 = 31337;
/// How long anvil may take to answer after it is started.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The anvil binary: `DATANET_ANVIL` if set, else the one npm installed under `contracts/`.
///
/// # Errors
/// [`ChainError::DevChain`] naming the command that installs it.
pub fn anvil_binary() -> Result<PathBuf, ChainError> {
    if let Some(path) = std::env::var_os("DATANET_ANVIL") {
        return Ok(PathBuf::from(path));
    }
    let modules =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/node_modules/@foundry-rs");
    let found = std::fs::read_dir(&modules).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin/anvil"))
            .find(|p| p.is_file())
    });
    found.ok_or_else(|| {
        ChainError::DevChain(format!(
            "no anvil under {}: run `npm ci --prefix contracts` (scripts/test.sh and scripts/devnet.sh do)",
            modules.display()
        ))
    })
}

/// The contracts of one deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployment {
    /// The OPEN token.
    pub token: Address,
    /// The hub.
    pub hub: Address,
}

/// Deploys the OPEN token (`supply` wei, all to `deployer`) and a hub over it with
/// `withdrawal_delay` seconds, from `deployer`, over `rpc_url`.
///
/// # Errors
/// [`ChainError::Rpc`] when a deployment fails.
pub async fn deploy(
    rpc_url: &str,
    deployer: &EvmKey,
    supply: U256,
    withdrawal_delay: u64,
) -> Result<Deployment, ChainError> {
    let rpc = |e: &dyn std::fmt::Display| ChainError::Rpc {
        url: rpc_url.to_string(),
        message: e.to_string(),
    };
    let url = rpc_url.parse().map_err(|e| rpc(&e))?;
    let provider = ProviderBuilder::new()
        .wallet(alloy::network::EthereumWallet::from(deployer.signer()))
        .connect_http(url);
    let token = OpenToken::deploy(&provider, supply)
        .await
        .map_err(|e| rpc(&e))?;
    let hub = DatanetHub::deploy(&provider, *token.address(), withdrawal_delay)
        .await
        .map_err(|e| rpc(&e))?;
    Ok(Deployment {
        token: *token.address(),
        hub: *hub.address(),
    })
}

/// A running anvil on 127.0.0.1 with the contracts deployed; stopped when dropped.
#[derive(Debug)]
pub struct DevChain {
    child: Child,
    rpc_url: String,
    deployment: Deployment,
}

impl DevChain {
    /// Starts anvil on a free loopback port (blocks mined on each transaction, or every
    /// `block_time` when given) and deploys the token and the hub from anvil's first
    /// account, with `withdrawal_delay` seconds. anvil's output goes to `log`.
    ///
    /// # Errors
    /// [`ChainError::DevChain`] when anvil is missing or does not come up.
    pub async fn start(
        log: &Path,
        block_time: Option<Duration>,
        withdrawal_delay: u64,
    ) -> Result<Self, ChainError> {
        let binary = anvil_binary()?;
        let dev = |m: String| ChainError::DevChain(m);
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| dev(format!("no free port: {e}")))?
            .port();
        let out = std::fs::File::create(log)
            .map_err(|e| dev(format!("cannot write {}: {e}", log.display())))?;
        let err = out
            .try_clone()
            .map_err(|e| dev(format!("cannot write {}: {e}", log.display())))?;
        let mut command = Command::new(&binary);
        command
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        if let Some(block_time) = block_time {
            command.args(["--block-time", &block_time.as_secs().max(1).to_string()]);
        }
        let child = command
            .spawn()
            .map_err(|e| dev(format!("cannot start {}: {e}", binary.display())))?;
        let rpc_url = format!("http://127.0.0.1:{port}");
        let mut chain = DevChain {
            child,
            rpc_url,
            deployment: Deployment {
                token: Address::ZERO,
                hub: Address::ZERO,
            },
        };
        chain.wait_ready().await?;
        let supply = U256::from(1_000_000_000u64) * U256::from(10u64).pow(U256::from(18u64));
        chain.deployment =
            deploy(&chain.rpc_url, &Self::deployer(), supply, withdrawal_delay).await?;
        Ok(chain)
    }

    async fn wait_ready(&mut self) -> Result<(), ChainError> {
        let url = self
            .rpc_url
            .parse()
            .map_err(|e| ChainError::DevChain(format!("{e}")))?;
        let provider = ProviderBuilder::new().connect_http(url);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if provider.get_chain_id().await.is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(ChainError::DevChain(format!("anvil exited: {status}")));
            }
            if Instant::now() > deadline {
                return Err(ChainError::DevChain(format!(
                    "anvil did not answer on {} within {START_TIMEOUT:?}",
                    self.rpc_url
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The account that deployed the contracts and holds all OPEN.
    pub fn deployer() -> EvmKey {
        #[allow(clippy::expect_used)]
        EvmKey::from_bytes(&DEV_DEPLOYER).expect("anvil's first account key is a valid key")
    }

    /// The JSON-RPC endpoint.
    pub fn rpc_url(&self) -> &str {
        &self.rpc_url
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        DEV_CHAIN_ID
    }

    /// The deployed contracts.
    pub fn deployment(&self) -> Deployment {
        self.deployment
    }

    /// Gives `to` `eth` ether (for gas) and `open` wei of OPEN from the deployer.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    pub async fn fund(&self, to: Address, eth: u64, open: U256) -> Result<(), ChainError> {
        let rpc = |e: &dyn std::fmt::Display| ChainError::Rpc {
            url: self.rpc_url.clone(),
            message: e.to_string(),
        };
        let url = self.rpc_url.parse().map_err(|e| rpc(&e))?;
        let provider = ProviderBuilder::new()
            .wallet(alloy::network::EthereumWallet::from(
                Self::deployer().signer(),
            ))
            .connect_http(url);
        let wei = U256::from(eth) * U256::from(10u64).pow(U256::from(18u64));
        let _: () = provider
            .raw_request("anvil_setBalance".into(), (to, wei))
            .await
            .map_err(|e| rpc(&e))?;
        if !open.is_zero() {
            OpenToken::new(self.deployment.token, &provider)
                .transfer(to, open)
                .send()
                .await
                .map_err(|e| rpc(&e))?
                .get_receipt()
                .await
                .map_err(|e| rpc(&e))?;
        }
        Ok(())
    }
}

impl Drop for DevChain {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
