//! The devnet's light client: after the sample is anchored, a light client (the
//! `datanet-light` library, in this process) joins through node-0, follows the datanet on
//! the chain and samples the sample's chunks; without a chain it checks the sample by id.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use datanet_light::{ContributionVerdict, FollowChain, LightClient, LightConfig};
use datanet_protocol::{ContributionId, DatanetId};
use serde::Serialize;

use super::devnet_chain::Chain;
use super::CliError;

/// How long the light client may take to see the sample anchored and check it.
const LIGHT_TIMEOUT: Duration = Duration::from_secs(60);

/// What the devnet's light client found.
#[derive(Debug, Serialize)]
pub(super) struct LightSummary {
    /// `chain` when it followed the hub's anchors, `announcer` when it took the id on trust.
    pub(super) trusts: &'static str,
    /// Its verdict on the sample.
    pub(super) verdict: ContributionVerdict,
}

fn light_error(e: impl std::fmt::Display) -> CliError {
    CliError::Other(format!("light client: {e}"))
}

/// Runs a light client under `dir` joined through `bootstrap` until it has a verdict on
/// `contribution` of `datanet`.
pub(super) async fn check(
    dir: &Path,
    bootstrap: &str,
    chain: Option<&Chain>,
    datanet: &str,
    contribution: &str,
) -> Result<LightSummary, CliError> {
    let bootstrap = bootstrap.parse().map_err(light_error)?;
    let datanet: DatanetId = datanet.parse().map_err(light_error)?;
    let id: ContributionId = contribution.parse().map_err(light_error)?;
    let client = Arc::new(
        LightClient::start(LightConfig::new(dir.join("light"), vec![bootstrap]))
            .await
            .map_err(light_error)?,
    );
    let outcome = run(&client, chain, datanet, id).await;
    client.shutdown().await;
    outcome
}

async fn run(
    client: &Arc<LightClient>,
    chain: Option<&Chain>,
    datanet: DatanetId,
    id: ContributionId,
) -> Result<LightSummary, CliError> {
    if !client.wait_for_storage_peer(LIGHT_TIMEOUT).await {
        return Err(light_error("no storage peer reached"));
    }
    client
        .settle_members(Duration::from_secs(1), Duration::from_secs(5))
        .await;
    let Some(chain) = chain else {
        let verdict = client.check(id).await.map_err(light_error)?;
        return Ok(LightSummary {
            trusts: "announcer",
            verdict,
        });
    };
    let follow = FollowChain {
        hub: chain.hub().await?,
        datanets: vec![datanet],
        from_block: 0,
        confirmations: 1,
        poll: Duration::from_millis(500),
    };
    let following = {
        let client = Arc::clone(client);
        tokio::spawn(async move { client.follow_chain(follow, |_| {}).await })
    };
    let verdict = tokio::time::timeout(LIGHT_TIMEOUT, async {
        loop {
            if let Some(verdict) = client.progress().verdict(&id).map_err(light_error)? {
                return Ok(verdict);
            }
            if following.is_finished() {
                return Err(light_error("it stopped following the chain"));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .map_err(|_| light_error(format!("no verdict within {} s", LIGHT_TIMEOUT.as_secs())))??;
    client.cancelled().cancel();
    following.await.map_err(light_error)?.map_err(light_error)?;
    Ok(LightSummary {
        trusts: "chain",
        verdict,
    })
}
