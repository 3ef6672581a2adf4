//! Each command: what it asks the daemon, and how it prints the answer as text or JSON.

use std::process::ExitCode;

use super::client::Client;
use super::home::{self, toml_strings};
use super::output::{self, print};
use super::{create, daemon, devnet, transfer, Cli, CliError, Command, ValidatorAction};
use crate::api::views::{
    ChainTxView, ContributionView, DatanetView, PeerView, RegisterValidatorRequest, StatusView,
    ValidatorStatusView, VerifyRequest, VerifyView,
};

/// The exit code of a verification that found a chunk short of its target.
pub(crate) const UNAVAILABLE: u8 = 3;

/// Runs `cli`'s command.
pub(crate) async fn dispatch(cli: Cli) -> Result<ExitCode, CliError> {
    let home = home::resolve(cli.home)?;
    let json = cli.json;
    let client = || Client::new(&home::socket(&home));
    match cli.command {
        Command::Init { validator, .. } if validator && home.join(home::CONFIG_FILE).exists() => {
            let (key, made) = home::add_validator(&home)?;
            let view = serde_json::json!({ "validator": key, "made": made });
            print(json, &view, |out, _| {
                if made {
                    writeln!(out, "made the validator key {key}")?;
                } else {
                    writeln!(out, "this home already has the validator key {key}")?;
                }
                writeln!(
                    out,
                    "validate with it: set enabled = true under [validator] in {}, then restart",
                    home.join(home::CONFIG_FILE).display()
                )
            })?;
        }
        Command::Init {
            listen,
            bootstrap,
            validator,
        } => {
            let mut settings = vec![("network.bootstrap", toml_strings(&bootstrap))];
            if !listen.is_empty() {
                settings.push(("network.listen", toml_strings(&listen)));
            }
            let made = home::init(&home, &settings, validator)?;
            print(json, &made, |out, m| {
                writeln!(out, "initialized {}", m.home.display())?;
                writeln!(out, "  peer id      {}", m.peer_id)?;
                writeln!(out, "  contributor  {}", m.contributor)?;
                if let Some(v) = &m.validator {
                    writeln!(out, "  validator    {v}")?;
                }
                for address in &m.listen {
                    writeln!(out, "  listen       {address}")?;
                }
                for address in &m.bootstrap {
                    writeln!(out, "  bootstrap    {address}")?;
                }
                writeln!(
                    out,
                    "start it with: datanet --home {} run",
                    m.home.display()
                )
            })?;
        }
        Command::Run => daemon::run(&home).await?,
        Command::Status => {
            let status: StatusView = client().get("/v1/status").await?;
            print(json, &status, output::status)?;
        }
        Command::Peers => {
            let peers: Vec<PeerView> = client().get("/v1/peers").await?;
            print(json, &peers, |out, peers| {
                if peers.is_empty() {
                    writeln!(out, "no peers connected")?;
                }
                for p in peers {
                    writeln!(out, "{}  score {}", p.peer_id, p.score)?;
                }
                Ok(())
            })?;
        }
        Command::Create(args) => {
            let request = create::request(args)?;
            let datanet: DatanetView = client().post("/v1/datanets", &request).await?;
            print(json, &datanet, |out, d| {
                writeln!(out, "created datanet {}", d.id)?;
                output::datanet(out, d)
            })?;
            let status: StatusView = client().get("/v1/status").await?;
            if status.anchoring.is_some() && !datanet.validators.is_empty() {
                let sent: ChainTxView = client()
                    .post(&format!("/v1/datanets/{}/chain", datanet.id), &())
                    .await?;
                output::report(format_args!(
                    "registered on the hub in tx {}",
                    sent.txs.join(", ")
                ));
            }
        }
        Command::List => {
            let datanets: Vec<DatanetView> = client().get("/v1/datanets").await?;
            print(json, &datanets, |out, all| {
                if all.is_empty() {
                    writeln!(
                        out,
                        "no datanets yet: create one with `datanet create NAME`"
                    )?;
                }
                for d in all {
                    writeln!(out, "{}  {}", d.id, d.name)?;
                }
                Ok(())
            })?;
        }
        Command::Contribute {
            file,
            datanet,
            media_type,
        } => {
            let view = transfer::upload(&client(), &datanet, &file, &media_type, json).await?;
            print(json, &view, |out, v| {
                writeln!(out, "contributed {}", v.id)?;
                output::contribution(out, v)
            })?;
        }
        Command::Get { id, output: file } => {
            let view = transfer::download(&client(), &id, file.as_deref(), json).await?;
            if let Some(file) = file {
                print(json, &view, |out, v| {
                    writeln!(
                        out,
                        "wrote {} bytes to {} (hash verified)",
                        v.payload_len,
                        file.display()
                    )
                })?;
            }
        }
        Command::Validators { datanet } => {
            let validators: Vec<ValidatorStatusView> = client()
                .get(&format!("/v1/datanets/{datanet}/validators"))
                .await?;
            print(json, &validators, output::validators)?;
        }
        Command::Show { id } => {
            let view: ContributionView = client().get(&format!("/v1/contributions/{id}")).await?;
            print(json, &view, |out, v| {
                writeln!(out, "contribution {}", v.id)?;
                output::contribution(out, v)
            })?;
        }
        Command::Proof { id, output: file } => {
            let proof: datanet_chain::AttributionProof = client()
                .get(&format!("/v1/contributions/{id}/proof"))
                .await?;
            match file {
                Some(path) => {
                    let text = serde_json::to_string_pretty(&proof)
                        .map_err(|e| CliError::Other(e.to_string()))?;
                    std::fs::write(&path, format!("{text}\n")).map_err(|e| {
                        CliError::Other(format!("cannot write {}: {e}", path.display()))
                    })?;
                    output::report(format_args!(
                        "wrote the proof of {id} (epoch {}, block {}) to {}",
                        proof.epoch,
                        proof.block,
                        path.display()
                    ));
                }
                None => output::json(&proof)?,
            }
        }
        Command::VerifyProof {
            file,
            rpc,
            confirmations,
        } => return verify_proof(&file, &rpc, confirmations, json).await,
        Command::Model { action } => super::model::run(client(), action, json).await?,
        Command::Rewards { action } => super::rewards::run(client(), action, json).await?,
        Command::Attribute {
            model,
            submit,
            file,
        } => {
            super::attribute::run(client(), &model, &file, submit, json).await?;
        }
        Command::Validator {
            action: ValidatorAction::Register { datanet, stake },
        } => {
            let request = RegisterValidatorRequest { datanet, stake };
            let sent: ChainTxView = client().post("/v1/validator/chain", &request).await?;
            print(json, &sent, |out, s| {
                if s.txs.is_empty() {
                    writeln!(out, "already registered; nothing sent")
                } else {
                    writeln!(out, "sent {}", s.txs.join(", "))
                }
            })?;
        }
        Command::Verify { id, confidence } => {
            let request = VerifyRequest {
                confidence: Some(confidence),
            };
            let view: VerifyView = client()
                .post(&format!("/v1/contributions/{id}/verify"), &request)
                .await?;
            print(json, &view, output::verification)?;
            if !view.available {
                return Ok(ExitCode::from(UNAVAILABLE));
            }
        }
        Command::Devnet {
            nodes,
            dir,
            sample_mib,
            exit,
            no_chain,
        } => devnet::run(nodes, dir, sample_mib, exit, !no_chain, json).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The exit code of a proof that does not hold.
pub(crate) const PROOF_FAILS: u8 = 4;

/// `datanet verify-proof`: reads the proof at `file` (`-` for stdin) and checks it against
/// the chain at `rpc`; exits [`PROOF_FAILS`] naming what is wrong, or 1 when the chain cannot
/// be asked (which says nothing of the proof).
async fn verify_proof(
    file: &std::path::Path,
    rpc: &str,
    confirmations: u64,
    json: bool,
) -> Result<ExitCode, CliError> {
    let report = datanet_chain::ProofReport::check_file(file, rpc, confirmations)
        .await
        .map_err(CliError::Other)?;
    print(json, &report, |out, r| writeln!(out, "{r}"))?;
    Ok(if report.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(PROOF_FAILS)
    })
}
