//! Each command: what it asks the daemon, and how it prints the answer as text or JSON.

use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use super::client::Client;
use super::home::{self, toml_strings};
use super::{daemon, devnet, transfer, Cli, CliError, Command};
use crate::api::views::{
    ContributionView, CreateDatanet, DatanetView, PeerView, PolicyView, StatusView, VerifyRequest,
    VerifyView,
};

/// The exit code of a verification that found a chunk short of its target.
pub(crate) const UNAVAILABLE: u8 = 3;

/// Runs `cli`'s command.
pub(crate) async fn dispatch(cli: Cli) -> Result<ExitCode, CliError> {
    let home = home::resolve(cli.home)?;
    let json = cli.json;
    let client = || Client::new(&home::socket(&home));
    match cli.command {
        Command::Init { listen, bootstrap } => {
            let mut settings = vec![("network.bootstrap", toml_strings(&bootstrap))];
            if !listen.is_empty() {
                settings.push(("network.listen", toml_strings(&listen)));
            }
            let made = home::init(&home, &settings)?;
            print(json, &made, |m| {
                println!("initialized {}", m.home.display());
                println!("  peer id      {}", m.peer_id);
                println!("  contributor  {}", m.contributor);
                for address in &m.listen {
                    println!("  listen       {address}");
                }
                for address in &m.bootstrap {
                    println!("  bootstrap    {address}");
                }
                println!("start it with: datanet --home {} run", m.home.display());
            });
        }
        Command::Run => daemon::run(&home).await?,
        Command::Status => {
            let status: StatusView = client().get("/v1/status").await?;
            print(json, &status, print_status);
        }
        Command::Peers => {
            let peers: Vec<PeerView> = client().get("/v1/peers").await?;
            print(json, &peers, |peers| {
                if peers.is_empty() {
                    println!("no peers connected");
                }
                for p in peers {
                    println!("{}  score {}", p.peer_id, p.score);
                }
            });
        }
        Command::Create {
            name,
            description,
            policy,
        } => {
            let policy = match policy {
                Some(path) => read_policy(&path)?,
                None => PolicyView::default(),
            };
            let request = CreateDatanet {
                name,
                description,
                policy,
            };
            let datanet: DatanetView = client().post("/v1/datanets", &request).await?;
            print(json, &datanet, |d| {
                println!("created datanet {}", d.id);
                print_datanet(d);
            });
        }
        Command::List => {
            let datanets: Vec<DatanetView> = client().get("/v1/datanets").await?;
            print(json, &datanets, |all| {
                if all.is_empty() {
                    println!("no datanets yet: create one with `datanet create NAME`");
                }
                for d in all {
                    println!("{}  {}", d.id, d.name);
                }
            });
        }
        Command::Contribute {
            file,
            datanet,
            media_type,
        } => {
            let view = transfer::upload(&client(), &datanet, &file, &media_type, json).await?;
            print(json, &view, |v| {
                println!("contributed {}", v.id);
                print_contribution(v);
            });
        }
        Command::Get { id, output } => {
            let view = transfer::download(&client(), &id, output.as_deref(), json).await?;
            if let Some(out) = output {
                print(json, &view, |v| {
                    println!(
                        "wrote {} bytes to {} (hash verified)",
                        v.payload_len,
                        out.display()
                    );
                });
            }
        }
        Command::Show { id } => {
            let view: ContributionView = client().get(&format!("/v1/contributions/{id}")).await?;
            print(json, &view, |v| {
                println!("contribution {}", v.id);
                print_contribution(v);
            });
        }
        Command::Verify { id, confidence } => {
            let request = VerifyRequest {
                confidence: Some(confidence),
            };
            let view: VerifyView = client()
                .post(&format!("/v1/contributions/{id}/verify"), &request)
                .await?;
            print(json, &view, print_verify);
            if !view.available {
                return Ok(ExitCode::from(UNAVAILABLE));
            }
        }
        Command::Devnet {
            nodes,
            dir,
            sample_mib,
            exit,
        } => devnet::run(nodes, dir, sample_mib, exit, json).await?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print<T: Serialize>(json: bool, value: &T, text: impl FnOnce(&T)) {
    if json {
        match serde_json::to_string_pretty(value) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("error: {e}"),
        }
    } else {
        text(value);
    }
}

fn read_policy(path: &Path) -> Result<PolicyView, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Other(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::Other(format!("{}: not a valid policy: {e}", path.display())))
}

fn print_status(s: &StatusView) {
    println!("datanet {}", s.version);
    println!("  peer id        {}", s.peer_id);
    println!("  contributor    {}", s.contributor);
    for address in &s.listen {
        println!("  listen         {address}");
    }
    println!("  peers          {}", s.peers);
    println!("  datanets       {}", s.datanets);
    println!("  contributions  {}", s.contributions);
    println!("  uptime         {} s", s.uptime_s);
}

fn print_datanet(d: &DatanetView) {
    println!("  name         {}", d.name);
    if !d.description.is_empty() {
        println!("  description  {}", d.description);
    }
    println!("  owner        {}", d.owner);
    println!(
        "  policy       at most {} bytes, media types: {}, duplicates {}",
        d.policy.max_contribution_bytes,
        if d.policy.media_types.is_empty() {
            "any".to_owned()
        } else {
            d.policy.media_types.join(", ")
        },
        if d.policy.reject_duplicates {
            "rejected"
        } else {
            "allowed"
        }
    );
}

/// Prints a contribution's manifest and status.
pub(crate) fn print_contribution(v: &ContributionView) {
    println!("  datanet      {}", v.datanet);
    println!("  contributor  {}", v.contributor);
    println!(
        "  payload      {} bytes, {}, hash {}",
        v.payload_len, v.media_type, v.payload_hash
    );
    println!("  codec        {}", v.codec);
    match &v.reason {
        Some(reason) => println!("  status       {} ({reason})", v.status),
        None => println!("  status       {}", v.status),
    }
    if let Some(d) = &v.dispersal {
        println!(
            "  dispersal    {} columns, {} custodian acks, {}",
            d.columns,
            d.acks,
            if d.complete {
                "complete".to_owned()
            } else {
                format!("{} columns short", d.short_columns)
            }
        );
    }
    println!("  chunks       {}", v.chunks.len());
    for (i, c) in v.chunks.iter().enumerate() {
        println!("    {i:>3}  {}  k={:<3}  da_root {}", c.id, c.k, c.da_root);
    }
}

/// Prints a verification, one line per chunk.
pub(crate) fn print_verify(v: &VerifyView) {
    for (i, c) in v.chunks.iter().enumerate() {
        println!(
            "  chunk {i:>3}  {}/{} samples verified  confidence {:.6}  {}",
            c.verified,
            c.requested,
            c.confidence,
            if c.available {
                "available"
            } else {
                "NOT AVAILABLE"
            }
        );
    }
    println!(
        "{}: {} of {} chunks reached confidence {}",
        if v.available {
            "available"
        } else {
            "unavailable"
        },
        v.chunks.iter().filter(|c| c.available).count(),
        v.chunks.len(),
        v.target
    );
}
