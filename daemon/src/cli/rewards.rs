//! `datanet rewards`: fund a datanet's reward pool, bind this node's contributor key to the
//! address its rewards are paid at, show where a pool and this contributor stand, and claim
//! what is due.

use clap::Subcommand;

use super::client::Client;
use super::output::print;
use super::CliError;
use crate::api::rewards::{BindPayee, ClaimView, FundRewards, RewardsView};
use crate::api::views::ChainTxView;

/// What `datanet rewards` does.
#[derive(Debug, Subcommand)]
pub enum RewardsAction {
    /// Add OPEN to a datanet's reward pool, from this node's EVM key (what a model operator
    /// pays for using the datanet).
    Fund {
        /// The datanet's id.
        datanet: String,
        /// How much OPEN, e.g. `100` or `2.5`.
        amount: String,
    },
    /// Bind this node's contributor key to the address its rewards are paid at (for good).
    Bind {
        /// The address to pay; this node's EVM address when left out.
        #[arg(long)]
        payee: Option<String>,
    },
    /// A datanet's pool (funded, paid, left) and this contributor's payee, earnings, claims
    /// and what is due.
    Show {
        /// The datanet's id.
        datanet: String,
    },
    /// Claim what the newest anchored rewards root owes this node's contributor key; it is
    /// paid to the bound payee.
    Claim {
        /// The datanet's id.
        datanet: String,
    },
}

/// Runs `action` against the daemon behind `client`.
pub(crate) async fn run(client: Client, action: RewardsAction, json: bool) -> Result<(), CliError> {
    match action {
        RewardsAction::Fund { datanet, amount } => {
            let sent: ChainTxView = client
                .post(
                    &format!("/v1/datanets/{datanet}/rewards"),
                    &FundRewards {
                        amount: amount.clone(),
                    },
                )
                .await?;
            print(json, &sent, |out, s| {
                writeln!(
                    out,
                    "funded the pool of {datanet} with {amount} OPEN in tx {}",
                    s.txs.join(", ")
                )
            })
        }
        RewardsAction::Bind { payee } => {
            let sent: ChainTxView = client
                .post("/v1/rewards/payee", &BindPayee { payee })
                .await?;
            print(json, &sent, |out, s| {
                if s.txs.is_empty() {
                    writeln!(out, "already bound to that address; nothing sent")
                } else {
                    writeln!(out, "payee bound in tx {}", s.txs.join(", "))
                }
            })
        }
        RewardsAction::Show { datanet } => {
            let view: RewardsView = client
                .get(&format!("/v1/datanets/{datanet}/rewards"))
                .await?;
            print(json, &view, |out, v| {
                writeln!(out, "rewards of datanet {}", v.datanet)?;
                writeln!(
                    out,
                    "  pool         {} OPEN funded, {} paid, {} left",
                    v.funded, v.paid, v.available
                )?;
                writeln!(out, "  contributor  {}", v.contributor)?;
                match &v.payee {
                    Some(payee) => writeln!(out, "  payee        {payee}")?,
                    None => writeln!(out, "  payee        none bound (datanet rewards bind)")?,
                }
                match v.earned_epoch {
                    Some(epoch) => {
                        writeln!(out, "  earned       {} OPEN up to epoch {epoch}", v.earned)?
                    }
                    None => writeln!(out, "  earned       nothing anchored yet")?,
                }
                writeln!(out, "  claimed      {} OPEN", v.claimed)?;
                writeln!(out, "  due          {} OPEN", v.due)
            })
        }
        RewardsAction::Claim { datanet } => {
            let claimed: ClaimView = client
                .post(&format!("/v1/datanets/{datanet}/rewards/claim"), &())
                .await?;
            print(json, &claimed, |out, c| {
                writeln!(
                    out,
                    "claimed {} OPEN ({} OPEN earned up to epoch {}) in tx {}",
                    c.paid, c.cumulative, c.epoch, c.tx
                )
            })
        }
    }
}
