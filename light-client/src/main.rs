//! `datanet-light`: the light client's command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use datanet_chain::{Address, ChainParams, Hub, HubClient, ProofReport};
use datanet_light::{ContributionVerdict, FollowChain, Followed, LightClient, LightConfig};
use datanet_net::{Multiaddr, NetEvent};
use datanet_protocol::sampling::{detection_probability, samples_needed};
use datanet_protocol::{ContributionId, DatanetId};

/// Exit code when a contribution is not available (or a fraud proof condemns it), or a proof
/// does not hold.
const FAILS: u8 = 4;
/// How long a command waits for a first storage peer.
const PEER_WAIT: Duration = Duration::from_secs(20);
/// How long the storage peers known must stay the same before a command samples, and the
/// longest it waits for that.
const MEMBERS_STABLE: Duration = Duration::from_secs(2);
const MEMBERS_WAIT: Duration = Duration::from_secs(10);

/// Checks that datanet data is available, sampling it over the network, and keeps none of it.
#[derive(Parser)]
#[command(name = "datanet-light", version)]
struct Cli {
    /// Print JSON (one object per line) instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

/// Where the network is and how sure a check must be.
#[derive(clap::Args, Clone)]
struct NetArgs {
    /// A storage peer to join through (repeatable), as /ip4/…/tcp/…/p2p/….
    #[arg(long, required = true)]
    bootstrap: Vec<Multiaddr>,
    /// The probability each chunk check must reach that a withheld square would be caught.
    #[arg(long, default_value_t = 0.9999)]
    confidence: f64,
    /// Custodians per column on the network.
    #[arg(long, default_value_t = 4)]
    replicas: usize,
    /// Where the light client keeps its progress.
    #[arg(long, env = "DATANET_LIGHT_HOME", default_value_os_t = default_home())]
    home: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Follow datanets: check every contribution of every anchored batch, until Ctrl-C.
    Run {
        #[command(flatten)]
        net: NetArgs,
        /// A datanet to follow (repeatable).
        #[arg(long = "datanet", required = true)]
        datanets: Vec<DatanetId>,
        /// The chain's JSON-RPC endpoint.
        #[arg(long, required_unless_present = "no_chain")]
        rpc: Option<String>,
        /// The hub contract's address.
        #[arg(long, required_unless_present = "no_chain")]
        hub: Option<Address>,
        /// The chain id (asked of the endpoint when left out).
        #[arg(long)]
        chain_id: Option<u64>,
        /// Blocks on and above an anchor before it is taken.
        #[arg(long, default_value_t = 2)]
        confirmations: u64,
        /// The first block to look at for a datanet never followed before.
        #[arg(long, default_value_t = 0)]
        from_block: u64,
        /// Follow manifest announcements instead of the chain: trusts the announcer.
        #[arg(long)]
        no_chain: bool,
        /// Answer `GET /v1/contributions/{id}` with the verdict on this address (off unless
        /// given; keep it on loopback).
        #[arg(long)]
        http: Option<std::net::SocketAddr>,
    },
    /// Check one contribution now; exit 0 only if every chunk is available.
    Sample {
        /// The contribution.
        contribution: ContributionId,
        #[command(flatten)]
        net: NetArgs,
    },
    /// The samples a square of width K needs to reach a confidence, and what they reach.
    Plan {
        /// The square's width (its chunk's rows of shares).
        #[arg(long)]
        k: u32,
        /// The target probability of catching a withheld square.
        #[arg(long, default_value_t = 0.9999)]
        confidence: f64,
    },
    /// Check an attribution proof against the chain alone.
    VerifyProof {
        /// The proof file (`-` for stdin).
        file: PathBuf,
        /// The chain's JSON-RPC endpoint.
        #[arg(long)]
        rpc: String,
        /// Blocks on and above the anchor it needs.
        #[arg(long, default_value_t = 2)]
        confirmations: u64,
    },
}

fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".datanet-light")
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    datanet_net::logging::init();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, String> {
    let json = cli.json;
    match cli.command {
        Command::Plan { k, confidence } => {
            let samples = samples_needed(k, confidence);
            let reached = detection_probability(k, samples);
            if json {
                println!(
                    "{}",
                    serde_json::json!({"k": k, "confidence": confidence, "samples": samples, "reached": reached})
                );
            } else {
                println!(
                    "k {k}: {samples} samples catch a withheld square with probability {reached:.6} (target {confidence})"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::VerifyProof {
            file,
            rpc,
            confirmations,
        } => {
            let report = ProofReport::check_file(&file, &rpc, confirmations).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&report).map_err(|e| e.to_string())?
                );
            } else {
                println!("{report}");
            }
            Ok(if report.valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(FAILS)
            })
        }
        Command::Sample { contribution, net } => {
            let client = start(&net).await?;
            let outcome = client.check(contribution).await;
            client.shutdown().await;
            let verdict = outcome.map_err(|e| e.to_string())?;
            print_verdict(json, &verdict, None);
            Ok(if verdict.good() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(FAILS)
            })
        }
        Command::Run {
            net,
            datanets,
            rpc,
            hub,
            chain_id,
            confirmations,
            from_block,
            no_chain,
            http,
        } => {
            let client = Arc::new(start(&net).await?);
            if let Some(addr) = http {
                let (bound, _) =
                    datanet_light::http::serve(client.progress().clone(), addr, client.cancelled())
                        .await
                        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
                eprintln!("verdicts on http://{bound}/v1/contributions/ID");
            }
            let stop = Arc::clone(&client);
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    stop.cancelled().cancel();
                }
            });
            let outcome = match (no_chain, rpc, hub) {
                (false, Some(rpc), Some(hub)) => {
                    let chain_id = match chain_id {
                        Some(id) => id,
                        None => Hub::chain_id_of(&rpc).await.map_err(|e| e.to_string())?,
                    };
                    let params = ChainParams {
                        rpc_url: rpc,
                        chain_id,
                        hub,
                        confirmations,
                    };
                    let hub: Arc<dyn HubClient> = Arc::new(
                        Hub::connect(params, None)
                            .await
                            .map_err(|e| e.to_string())?,
                    );
                    eprintln!(
                        "following {} datanet(s) on hub {} of chain {chain_id}: trusting the chain, sampling to {}",
                        datanets.len(),
                        hub.params().hub,
                        net.confidence
                    );
                    let follow = FollowChain {
                        hub,
                        datanets,
                        from_block,
                        confirmations,
                        poll: Duration::from_secs(2),
                    };
                    client
                        .follow_chain(follow, |line| match line {
                            Followed::Checked {
                                epoch,
                                block,
                                verdict,
                            } => print_verdict(json, &verdict, Some((epoch, block))),
                            waiting @ Followed::Waiting { .. } => print_waiting(json, &waiting),
                        })
                        .await
                        .map_err(|e| e.to_string())
                }
                _ => {
                    eprintln!(
                        "following {} datanet(s) without a chain: trusting whoever announces a contribution, not the chain",
                        datanets.len()
                    );
                    follow_announcements(&client, &datanets, json).await
                }
            };
            client.shutdown().await;
            outcome.map(|()| ExitCode::SUCCESS)
        }
    }
}

/// Starts a light client for `net` and waits for a first storage peer.
async fn start(net: &NetArgs) -> Result<LightClient, String> {
    let mut config = LightConfig::new(net.home.clone(), net.bootstrap.clone());
    config.confidence = net.confidence;
    config.replicas = net.replicas;
    let client = LightClient::start(config)
        .await
        .map_err(|e| e.to_string())?;
    if !client.wait_for_storage_peer(PEER_WAIT).await {
        client.shutdown().await;
        return Err(format!(
            "no storage peer reached within {} s through {}",
            PEER_WAIT.as_secs(),
            net.bootstrap
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    client.settle_members(MEMBERS_STABLE, MEMBERS_WAIT).await;
    Ok(client)
}

/// Checks every contribution announced to `datanets` until Ctrl-C.
async fn follow_announcements(
    client: &LightClient,
    datanets: &[DatanetId],
    json: bool,
) -> Result<(), String> {
    for datanet in datanets {
        client.follow(*datanet).await.map_err(|e| e.to_string())?;
    }
    let mut events = client.network().events();
    let cancel = client.cancelled();
    loop {
        let event = tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            event = events.recv() => event,
        };
        let manifest = match event {
            Ok(NetEvent::Announced(manifest)) => manifest,
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
        };
        if !datanets.contains(&manifest.body().datanet) {
            continue;
        }
        match client.check(manifest.id()).await {
            Ok(verdict) => print_verdict(json, &verdict, None),
            Err(e) => eprintln!("{}: not checked: {e}", manifest.id()),
        }
    }
}

/// One line for a contribution checked (of an anchored batch, with its epoch and block).
fn print_verdict(json: bool, verdict: &ContributionVerdict, anchored: Option<(u64, u64)>) {
    if json {
        let mut value = serde_json::to_value(verdict).unwrap_or_default();
        if let (Some((epoch, block)), Some(object)) = (anchored, value.as_object_mut()) {
            object.insert("epoch".into(), epoch.into());
            object.insert("block".into(), block.into());
        }
        println!("{value}");
        return;
    }
    let state = if !verdict.invalid.is_empty() {
        format!(
            "INVALID (fraud proof against {})",
            verdict.invalid.join(", ")
        )
    } else if verdict.available {
        format!("available, confidence {:.6}", verdict.confidence)
    } else {
        let missing: Vec<String> = verdict
            .chunks
            .iter()
            .filter(|c| !c.available)
            .map(|c| {
                format!(
                    "{} ({}/{} samples)",
                    short(&c.da_root),
                    c.verified,
                    c.samples
                )
            })
            .collect();
        format!("UNAVAILABLE: {}", missing.join(", "))
    };
    let place = anchored
        .map(|(epoch, block)| format!(" epoch {epoch} block {block}"))
        .unwrap_or_default();
    println!(
        "{}{place}  {} chunk(s), {} bytes: {state}",
        short(&verdict.contribution),
        verdict.chunks.len(),
        verdict.payload_len
    );
}

fn print_waiting(json: bool, waiting: &Followed) {
    if json {
        println!("{}", serde_json::to_value(waiting).unwrap_or_default());
    } else if let Followed::Waiting {
        datanet,
        epoch,
        reason,
    } = waiting
    {
        eprintln!("{} epoch {epoch}: waiting: {reason}", short(datanet));
    }
}

fn short(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}
