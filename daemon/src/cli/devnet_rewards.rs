//! The devnet's reward steps: the model's operator funds the datanet's pool and submits the
//! attribution records of the quoting output; the validators recompute them and pay by them
//! in the next batch, whose rewards root is anchored; both quoted contributors bind a payee
//! and claim, and a second claim pays nothing.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::client::Client;
use super::devnet::{say, step};
use super::CliError;
use crate::api::models::SubmittedView;
use crate::api::rewards::{BindPayee, ClaimView, FundRewards, RewardsView};
use crate::api::views::ChainTxView;

/// OPEN the operator puts in the pool; each paying epoch releases an eighth of what is left.
pub(super) const POOL_OPEN: u64 = 80;
/// How long a paying batch may take to be final and anchored.
const PAID_TIMEOUT: Duration = Duration::from_secs(120);
/// How often the contributors' rewards are read while waiting.
const POLL: Duration = Duration::from_millis(300);

/// One contributor's claim.
#[derive(Debug, Serialize)]
pub(super) struct ClaimSummary {
    /// The contributor's node.
    node: String,
    /// OPEN the claim paid.
    paid: String,
    /// Its transaction.
    tx: String,
}

/// What the reward steps did.
#[derive(Debug, Serialize)]
pub(super) struct RewardsSummary {
    /// The attribution records submitted.
    records: usize,
    /// The epoch whose anchored rewards root paid.
    epoch: u64,
    /// Each contributor's claim.
    claims: Vec<ClaimSummary>,
    /// What a second claim answered.
    second_claim: String,
}

impl RewardsSummary {
    /// The summary line.
    pub(super) fn line(&self) -> String {
        let claims: Vec<String> = self
            .claims
            .iter()
            .map(|c| format!("{} claimed {} OPEN", c.node, c.paid))
            .collect();
        format!(
            "{} record(s) paid in epoch {}: {}; a second claim was refused",
            self.records,
            self.epoch,
            claims.join(", ")
        )
    }
}

/// The devnet's parties for the reward steps.
pub(super) struct Payees<'a> {
    /// The model's operator, who funds the pool and submits the records.
    pub(super) operator: &'a Client,
    /// The quoted contributors, by node name.
    pub(super) contributors: [(&'a str, &'a Client); 2],
}

/// Funds the pool, submits `output`'s records for `model`, waits until both contributors
/// are owed OPEN by an anchored rewards root, has each claim it, and checks that a second
/// claim is refused.
pub(super) async fn walk(
    parties: Payees<'_>,
    datanet: &str,
    model: &str,
    output: &str,
    json: bool,
) -> Result<RewardsSummary, CliError> {
    step(
        json,
        &format!("funding the datanet's reward pool with {POOL_OPEN} OPEN"),
    )?;
    let funded: ChainTxView = parties
        .operator
        .post(
            &format!("/v1/datanets/{datanet}/rewards"),
            &FundRewards {
                amount: POOL_OPEN.to_string(),
            },
        )
        .await?;
    say(json, &format!("  tx {}", funded.txs.join(", ")))?;

    step(json, "submitting the quoting output's attribution records")?;
    let records: Vec<SubmittedView> = parties
        .operator
        .post_bytes(
            &format!("/v1/attributions?model={model}"),
            "text/plain; charset=utf-8",
            output.as_bytes().to_vec(),
        )
        .await?;
    for record in &records {
        say(
            json,
            &format!(
                "  record {} weighs {} contributor(s)",
                record.id,
                record.weights.len()
            ),
        )?;
    }

    step(
        json,
        "waiting for the validators to recompute the records and anchor a rewards root",
    )?;
    let mut epoch = 0;
    for (_, client) in parties.contributors {
        epoch = epoch.max(wait_due(client, datanet).await?);
    }
    say(json, &format!("  paid in the batch of epoch {epoch}"))?;

    step(json, "binding each contributor's payee and claiming")?;
    let mut claims = Vec::new();
    for (node, client) in parties.contributors {
        let _: ChainTxView = client
            .post("/v1/rewards/payee", &BindPayee::default())
            .await?;
        let claimed: ClaimView = client
            .post(&format!("/v1/datanets/{datanet}/rewards/claim"), &())
            .await?;
        say(
            json,
            &format!(
                "  {node} claimed {} OPEN of {} earned, tx {}",
                claimed.paid, claimed.cumulative, claimed.tx
            ),
        )?;
        claims.push(ClaimSummary {
            node: node.to_owned(),
            paid: claimed.paid,
            tx: claimed.tx,
        });
    }
    let (node, client) = parties.contributors[0];
    let second = client
        .post::<_, ClaimView>(&format!("/v1/datanets/{datanet}/rewards/claim"), &())
        .await;
    let second_claim = match second {
        Ok(paid) => {
            return Err(CliError::Other(format!(
                "a second claim by {node} paid {} OPEN more",
                paid.paid
            )))
        }
        Err(e) => e.to_string(),
    };
    say(json, &format!("  a second claim by {node}: {second_claim}"))?;
    Ok(RewardsSummary {
        records: records.len(),
        epoch,
        claims,
        second_claim,
    })
}

/// Waits until `client`'s contributor is owed OPEN by an anchored rewards root; its epoch.
async fn wait_due(client: &Client, datanet: &str) -> Result<u64, CliError> {
    let deadline = Instant::now() + PAID_TIMEOUT;
    loop {
        let view: RewardsView = client
            .get(&format!("/v1/datanets/{datanet}/rewards"))
            .await?;
        if let Some(epoch) = view.earned_epoch.filter(|_| view.due != "0") {
            return Ok(epoch);
        }
        if Instant::now() > deadline {
            return Err(CliError::Other(format!(
                "no anchored rewards root paid contributor {} within {} s",
                view.contributor,
                PAID_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}
