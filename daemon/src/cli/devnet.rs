//! `datanet devnet`: several daemons as separate processes on loopback, each with its own
//! home and validator key; a datanet created with every daemon as its validators and a
//! JSON Lines schema, a sample dataset contributed at the first node, retrieved bit-exact at
//! the last and verified there by sampling, accepted by the validators and batched in an
//! epoch, its batch anchored on a local chain (anvil, with the hub deployed and every daemon
//! staked) and its attribution proof checked against the chain alone, and a record that
//! breaks the schema rejected with its reason; then the daemons
//! keep running for other terminals until Ctrl-C, when every process started here is
//! stopped.
//!
//! The walk-through is a sequence of steps, each saying what it does and returning its part
//! of the [`Summary`]; a new stage of the network is a new step.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::process::{Child, Command};

use super::client::Client;
use super::devnet_attribution::{self, AttributionSummary, Parties};
use super::devnet_chain::{self, Anchored, Chain};
use super::devnet_light::{self, LightSummary};
use super::devnet_rewards::{self, Payees, RewardsSummary};
use super::home::{self, toml_strings};
use super::{output, transfer, CliError};
use crate::api::views::{
    ContributionView, CreateDatanet, DatanetView, PeerView, PolicyView, StatusView, ValidatorView,
    VerifyRequest, VerifyView,
};

/// How long a daemon may take to answer on its socket, and the mesh to form.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How often readiness is polled.
const POLL: Duration = Duration::from_millis(100);
/// The sample dataset's file in the devnet's folder.
const SAMPLE: &str = "sample.jsonl";
/// Where the contribution is written when fetched back.
const RETRIEVED: &str = "retrieved.jsonl";
/// The file whose second record breaks the schema.
const BAD_SAMPLE: &str = "bad.jsonl";
/// How long the validators may take to settle a contribution and batch it.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(120);

/// One daemon of the devnet.
struct Daemon {
    name: String,
    home: PathBuf,
    child: Child,
    client: Client,
    /// Its validator key.
    validator: String,
}

impl Daemon {
    fn log(&self) -> PathBuf {
        self.home.join("daemon.log")
    }

    /// The last lines of the daemon's log, for error messages.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    }
}

/// Runs the devnet.
pub(crate) async fn run(
    nodes: usize,
    dir: Option<PathBuf>,
    sample_mib: u64,
    exit: bool,
    with_chain: bool,
    json: bool,
) -> Result<(), CliError> {
    if !(2..=16).contains(&nodes) {
        return Err(CliError::Other(format!(
            "--nodes must be between 2 and 16, not {nodes}"
        )));
    }
    let dir = empty_dir(dir)?;
    let started = Instant::now();
    let mut daemons: Vec<Daemon> = Vec::new();
    let chain = if with_chain {
        step(json, "starting a local chain (anvil) and deploying the hub")?;
        match Chain::start(&dir).await {
            Ok(chain) => {
                say(json, &chain.describe())?;
                Some(chain)
            }
            Err(e) => {
                output::report(format_args!("devnet failed: {e}"));
                return Err(e);
            }
        }
    } else {
        None
    };
    let outcome =
        match walk_through(&dir, nodes, sample_mib, chain.as_ref(), &mut daemons, json).await {
            Ok(summary) => serve(&summary, &daemons, started, exit, json).await,
            Err(CliError::OutputClosed) => Err(CliError::OutputClosed),
            Err(e) => {
                output::report(format_args!("devnet failed: {e}"));
                Err(e)
            }
        };
    stop_all(&mut daemons, &dir, json).await;
    outcome
}

/// `dir`, or a new folder under the system's temp folder, created if need be; refused if it
/// holds anything.
fn empty_dir(dir: Option<PathBuf>) -> Result<PathBuf, CliError> {
    let dir = match dir {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("datanet-devnet-{}", std::process::id())),
    };
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(CliError::Other(format!(
            "{} is not empty: give a new or empty --dir",
            dir.display()
        )));
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Other(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

/// What the walk-through did, printed as JSON with `--json`.
#[derive(Debug, Serialize)]
struct Summary {
    dir: PathBuf,
    nodes: Vec<NodeSummary>,
    datanet: DatanetView,
    contribution: ContributionView,
    #[serde(flatten)]
    retrieval: Retrieval,
    verification: VerifyView,
    /// The sample as its validators left it: accepted, with its certificate and epoch.
    accepted: ContributionView,
    /// Where the sample's batch was anchored, and its proof; absent without a chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    anchored: Option<Anchored>,
    /// What a light client, joined through node-0, found of the sample.
    light: LightSummary,
    /// A contribution breaking the schema, as its validators left it: rejected.
    rejected: ContributionView,
    /// A model registered on the anchored version and two outputs attributed; absent
    /// without a chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    attribution: Option<AttributionSummary>,
    /// The pool funded, the records paid by and both contributors' claims; absent without
    /// a chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    rewards: Option<RewardsSummary>,
}

/// One daemon of the summary.
#[derive(Debug, Serialize)]
struct NodeSummary {
    home: PathBuf,
    peer_id: String,
    socket: PathBuf,
}

/// Where the contribution was fetched back, and whether it came back unchanged.
#[derive(Debug, Serialize)]
struct Retrieval {
    retrieved_at: String,
    bit_exact: bool,
}

/// Runs every step in turn, starting the daemons into `daemons`, and sums them up.
async fn walk_through(
    dir: &Path,
    nodes: usize,
    sample_mib: u64,
    chain: Option<&Chain>,
    daemons: &mut Vec<Daemon>,
    json: bool,
) -> Result<Summary, CliError> {
    let summaries = start_nodes(dir, nodes, chain, daemons, json).await?;
    let first = &daemons[0];
    let last = &daemons[nodes - 1];
    let datanet = create_datanet(daemons, json).await?;
    if chain.is_some() {
        stake(daemons, &datanet, json).await?;
    }
    let contribution = contribute_sample(dir, first, &datanet, sample_mib, json).await?;
    let retrieval = retrieve(dir, first, last, &contribution, json).await?;
    let verification = verify(last, &contribution, json).await?;
    let accepted = settle(last, &contribution.id, "accepted", json).await?;
    let anchored = match chain {
        Some(chain) => Some(anchor(chain, last, &contribution.id, dir, json).await?),
        None => None,
    };
    let attribution = match chain {
        Some(_) => {
            let second = daemons.get(1).unwrap_or(first);
            let parties = Parties {
                second: (&second.name, &second.client),
                operator: (&last.name, &last.client),
                first: &first.client,
            };
            Some(devnet_attribution::walk(dir, &dir.join(SAMPLE), parties, &datanet, json).await?)
        }
        None => None,
    };
    let rewards = match &attribution {
        Some(found) => {
            let second = daemons.get(1).unwrap_or(first);
            let payees = Payees {
                operator: &last.client,
                contributors: [(&first.name, &first.client), (&second.name, &second.client)],
            };
            Some(
                devnet_rewards::walk(payees, &datanet.id, &found.model, &found.quoting, json)
                    .await?,
            )
        }
        None => None,
    };
    let light = light_check(dir, first, chain, &datanet.id, &contribution.id, json).await?;
    let rejected = contribute_bad(dir, &daemons[1], &datanet, json).await?;
    let rejected = settle(last, &rejected.id, "rejected", json).await?;
    let summary = Summary {
        dir: dir.to_path_buf(),
        nodes: summaries,
        datanet,
        contribution,
        retrieval,
        verification,
        accepted,
        anchored,
        light,
        rejected,
        attribution,
        rewards,
    };
    say_summary(&summary, json)?;
    Ok(summary)
}

/// Starts `nodes` daemons under `dir`, each bootstrapped from those before it, and waits
/// until every one is connected to every other.
async fn start_nodes(
    dir: &Path,
    nodes: usize,
    chain: Option<&Chain>,
    daemons: &mut Vec<Daemon>,
    json: bool,
) -> Result<Vec<NodeSummary>, CliError> {
    step(
        json,
        &format!("starting {nodes} daemons in {}", dir.display()),
    )?;
    let mut summaries = Vec::new();
    let mut bootstrap: Vec<String> = Vec::new();
    for i in 0..nodes {
        let name = format!("node-{i}");
        daemons.push(start_daemon(&name, &dir.join(&name), &bootstrap, chain).await?);
        let daemon = &daemons[i];
        let status: StatusView = daemon.client.get("/v1/status").await?;
        say(json, &format!("  {name}  {}", status.peer_id))?;
        summaries.push(NodeSummary {
            home: daemon.home.clone(),
            peer_id: status.peer_id.clone(),
            socket: home::socket(&daemon.home),
        });
        bootstrap.extend(status.listen.into_iter().filter(|a| a.contains("/tcp/")));
    }
    wait_for_mesh(daemons).await?;
    say(
        json,
        &format!("  every node is connected to the {} others", nodes - 1),
    )?;
    Ok(summaries)
}

/// Creates a datanet at the first daemon, validated by every daemon with equal stake and
/// holding JSON lines of the sample's shape, and waits until its record has reached the last.
async fn create_datanet(daemons: &[Daemon], json: bool) -> Result<DatanetView, CliError> {
    let (first, last) = (&daemons[0], &daemons[daemons.len() - 1]);
    step(json, &format!("creating a datanet at {}", first.name))?;
    let schema = serde_json::json!({
        "type": "object",
        "required": ["id", "prompt", "response"],
        "properties": {
            "id": {"type": "integer", "minimum": 0},
            "prompt": {"type": "string", "minLength": 1},
            "response": {"type": "string", "minLength": 1}
        }
    });
    let request = CreateDatanet {
        name: "devnet-sample".into(),
        description: "A sample instruction dataset contributed by the devnet".into(),
        policy: PolicyView {
            format: "jsonl".into(),
            schema: Some(schema),
            ..PolicyView::default()
        },
        validators: daemons
            .iter()
            .map(|d| ValidatorView {
                key: d.validator.clone(),
                stake: 1,
            })
            .collect(),
        threshold: None,
    };
    let datanet: DatanetView = first.client.post("/v1/datanets", &request).await?;
    say(
        json,
        &format!(
            "  datanet {} ({}): JSON lines of id, prompt and response, checked by the {} daemons' validator keys, quorum more than 2/3",
            datanet.id,
            datanet.name,
            daemons.len()
        ),
    )?;
    wait_until(
        START_TIMEOUT,
        "the datanet record to reach the last node",
        || async {
            last.client
                .get::<DatanetView>(&format!("/v1/datanets/{}", datanet.id))
                .await
                .is_ok()
        },
    )
    .await?;
    say(json, "  gossiped to every node")?;
    Ok(datanet)
}

/// Writes `sample_mib` MiB of sample data under `dir` and contributes it to `datanet` at
/// `first`.
async fn contribute_sample(
    dir: &Path,
    first: &Daemon,
    datanet: &DatanetView,
    sample_mib: u64,
    json: bool,
) -> Result<ContributionView, CliError> {
    step(
        json,
        &format!(
            "contributing {sample_mib} MiB of sample data at {}",
            first.name
        ),
    )?;
    let sample = dir.join(SAMPLE);
    write_sample(&sample, sample_mib << 20)?;
    let started = Instant::now();
    let contribution = transfer::upload(
        &first.client,
        &datanet.id,
        &sample,
        "application/jsonl",
        false,
    )
    .await?;
    say(
        json,
        &format!(
            "  contribution {} in {:.2} s",
            contribution.id,
            started.elapsed().as_secs_f64()
        ),
    )?;
    if !json {
        output::stdout(|out| output::contribution(out, &contribution))?;
    }
    Ok(contribution)
}

/// Contributes a small file whose second line breaks the datanet's schema, at `at`.
async fn contribute_bad(
    dir: &Path,
    at: &Daemon,
    datanet: &DatanetView,
    json: bool,
) -> Result<ContributionView, CliError> {
    step(
        json,
        &format!(
            "contributing a record that breaks the schema at {}",
            at.name
        ),
    )?;
    let bad = dir.join(BAD_SAMPLE);
    std::fs::write(
        &bad,
        "{\"id\":1,\"prompt\":\"fine\",\"response\":\"fine\"}\n{\"id\":\"two\",\"prompt\":\"\"}\n",
    )
    .map_err(|e| CliError::Other(format!("cannot write {}: {e}", bad.display())))?;
    let contribution =
        transfer::upload(&at.client, &datanet.id, &bad, "application/jsonl", false).await?;
    say(json, &format!("  contribution {}", contribution.id))?;
    Ok(contribution)
}

/// Waits until the validators have settled contribution `id` as `want` (`accepted`, and then
/// in a final batch; or `rejected`), as `node` sees it, and says how.
async fn settle(
    node: &Daemon,
    id: &str,
    want: &str,
    json: bool,
) -> Result<ContributionView, CliError> {
    step(
        json,
        &format!(
            "waiting for the validators to settle {id} (at {})",
            node.name
        ),
    )?;
    let path = format!("/v1/contributions/{id}");
    let done = |v: &ContributionView| match want {
        "accepted" => v.validation.as_ref().is_some_and(|val| val.epoch.is_some()),
        _ => v.status == want,
    };
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    let view = loop {
        let view: ContributionView = node.client.get(&path).await?;
        if done(&view) {
            break view;
        }
        if view.status == "rejected" && want != "rejected"
            || view.status == "accepted" && want == "rejected"
        {
            output::stdout(|out| output::contribution(out, &view))?;
            return Err(CliError::Other(format!(
                "contribution {id} was {}, not {want}",
                view.status
            )));
        }
        if Instant::now() > deadline {
            return Err(CliError::Other(format!(
                "contribution {id} was still {} after {} s; see {}",
                view.status,
                SETTLE_TIMEOUT.as_secs(),
                node.log().display()
            )));
        }
        tokio::time::sleep(POLL).await;
    };
    if !json {
        output::stdout(|out| output::contribution(out, &view))?;
    }
    Ok(view)
}

/// Binds every daemon's validator key on the hub, registers the datanet there from the
/// first daemon and has every daemon stake on it.
async fn stake(daemons: &[Daemon], datanet: &DatanetView, json: bool) -> Result<(), CliError> {
    step(
        json,
        "registering the validators and the datanet on the hub",
    )?;
    let clients: Vec<&Client> = daemons.iter().map(|d| &d.client).collect();
    devnet_chain::bind_validators(&clients).await?;
    let tx = devnet_chain::register_datanet(clients[0], &clients, &datanet.id).await?;
    say(
        json,
        &format!(
            "  datanet registered in tx {tx}; each of the {} validators bound its key and staked",
            daemons.len()
        ),
    )
}

/// Waits for the sample's batch to be anchored at `node`, and checks its proof.
async fn anchor(
    chain: &Chain,
    node: &Daemon,
    id: &str,
    dir: &Path,
    json: bool,
) -> Result<Anchored, CliError> {
    step(
        json,
        &format!("waiting for its batch to be anchored (at {})", node.name),
    )?;
    let anchored = devnet_chain::anchored(chain, &node.client, id, dir).await?;
    say(
        json,
        &format!(
            "  epoch {} anchored in tx {} at block {}; proof in {} checks against the chain alone",
            anchored.epoch,
            anchored.tx,
            anchored.block,
            anchored.proof.display()
        ),
    )?;
    Ok(anchored)
}

/// Runs a light client joined through `first` until it has a verdict on the sample.
async fn light_check(
    dir: &Path,
    first: &Daemon,
    chain: Option<&Chain>,
    datanet: &str,
    contribution: &str,
    json: bool,
) -> Result<LightSummary, CliError> {
    let how = if chain.is_some() {
        "following the chain"
    } else {
        "by id, trusting the announcer: no chain"
    };
    step(json, &format!("a light client samples it ({how})"))?;
    let status: StatusView = first.client.get("/v1/status").await?;
    let bootstrap = status
        .listen
        .into_iter()
        .find(|a| a.contains("/tcp/"))
        .ok_or_else(|| CliError::Other(format!("{} listens on no TCP address", first.name)))?;
    let light = devnet_light::check(dir, &bootstrap, chain, datanet, contribution).await?;
    say(json, &format!("  {}", light_line(&light)))?;
    if !light.verdict.good() {
        return Err(CliError::Other(format!(
            "the light client found the sample unavailable: {}",
            light_line(&light)
        )));
    }
    Ok(light)
}

/// How the light client's verdict reads.
fn light_line(light: &LightSummary) -> String {
    let v = &light.verdict;
    let samples: usize = v.chunks.iter().map(|c| c.samples).sum();
    format!(
        "{} chunk(s), {samples} samples, {} with confidence {:.6} (trusting the {})",
        v.chunks.len(),
        if v.good() {
            "available"
        } else {
            "NOT available"
        },
        v.confidence,
        light.trusts
    )
}

/// Fetches `contribution` at `last` and checks it is bit-exact with the sample `first` was
/// given.
async fn retrieve(
    dir: &Path,
    first: &Daemon,
    last: &Daemon,
    contribution: &ContributionView,
    json: bool,
) -> Result<Retrieval, CliError> {
    step(json, &format!("retrieving it at {}", last.name))?;
    let sample = dir.join(SAMPLE);
    let retrieved = dir.join(RETRIEVED);
    let started = Instant::now();
    transfer::download(&last.client, &contribution.id, Some(&retrieved), false).await?;
    let same = file_hash(&sample)? == file_hash(&retrieved)?;
    if !same {
        return Err(CliError::Other(format!(
            "{} differs from {}",
            retrieved.display(),
            sample.display()
        )));
    }
    say(
        json,
        &format!(
            "  {} bytes in {:.2} s, bit-exact with what {} was given",
            contribution.payload_len,
            started.elapsed().as_secs_f64(),
            first.name
        ),
    )?;
    Ok(Retrieval {
        retrieved_at: last.name.clone(),
        bit_exact: same,
    })
}

/// Samples every chunk of `contribution` through the network from `last`; an error unless
/// each reaches the target confidence.
async fn verify(
    last: &Daemon,
    contribution: &ContributionView,
    json: bool,
) -> Result<VerifyView, CliError> {
    step(
        json,
        &format!("verifying availability by sampling at {}", last.name),
    )?;
    let verification: VerifyView = last
        .client
        .post(
            &format!("/v1/contributions/{}/verify", contribution.id),
            &VerifyRequest {
                confidence: Some(0.99),
            },
        )
        .await?;
    if !json {
        output::stdout(|out| output::verification(out, &verification))?;
    }
    if !verification.available {
        return Err(CliError::Other("sampling did not reach the target".into()));
    }
    Ok(verification)
}

/// The walk-through in a few lines.
fn say_summary(summary: &Summary, json: bool) -> Result<(), CliError> {
    say(json, "")?;
    say(json, "summary")?;
    say(
        json,
        &format!(
            "  nodes          {} daemons on loopback",
            summary.nodes.len()
        ),
    )?;
    say(json, &format!("  datanet        {}", summary.datanet.id))?;
    say(
        json,
        &format!(
            "  contribution   {} ({} bytes, {} chunks) stored at node-0",
            summary.contribution.id,
            summary.contribution.payload_len,
            summary.contribution.chunks.len()
        ),
    )?;
    say(
        json,
        &format!(
            "  retrieved      bit-exact at {}",
            summary.retrieval.retrieved_at
        ),
    )?;
    say(
        json,
        &format!(
            "  verified       every chunk available with confidence >= {}",
            summary.verification.target
        ),
    )?;
    let accepted = summary.accepted.validation.as_ref();
    say(
        json,
        &format!(
            "  accepted       certificate {} with {} of {} validators, batched in epoch {}",
            accepted
                .and_then(|v| v.certificate.as_ref())
                .map_or("-", |qc| qc.hash.as_str()),
            accepted
                .and_then(|v| v.certificate.as_ref())
                .map_or(0, |qc| qc.signers.len()),
            summary.nodes.len(),
            accepted
                .and_then(|v| v.epoch)
                .map_or_else(|| "-".to_owned(), |e| e.to_string())
        ),
    )?;
    if let Some(a) = &summary.anchored {
        say(
            json,
            &format!(
                "  anchored       epoch {} in tx {} at block {}",
                a.epoch, a.tx, a.block
            ),
        )?;
        say(
            json,
            &format!(
                "  proof          {} verified from the chain alone (datanet verify-proof {} --rpc {})",
                a.proof.display(),
                a.proof.display(),
                a.rpc_url
            ),
        )?;
    }
    if let Some(a) = &summary.attribution {
        say(json, &format!("  attribution    {}", a.line()))?;
    }
    if let Some(r) = &summary.rewards {
        say(json, &format!("  rewards        {}", r.line()))?;
    }
    say(
        json,
        &format!("  light client   {}", light_line(&summary.light)),
    )?;
    let why = summary
        .rejected
        .validation
        .as_ref()
        .and_then(|v| v.attestations.iter().find(|a| a.verdict == "reject"))
        .map_or_else(String::new, |a| format!("{}: {}", a.reason, a.message));
    say(
        json,
        &format!("  rejected       {} ({why})", summary.rejected.id),
    )
}

/// Prints the summary as JSON with `--json`, says how to use the devnet, and waits for
/// Ctrl-C unless `exit` is set.
async fn serve(
    summary: &Summary,
    daemons: &[Daemon],
    started: Instant,
    exit: bool,
    json: bool,
) -> Result<(), CliError> {
    if json {
        output::json(summary)?;
    }
    say(json, "")?;
    say(
        json,
        &format!("devnet ready in {:.1} s", started.elapsed().as_secs_f64()),
    )?;
    say(json, "use it from another terminal, for example:")?;
    let last = &daemons[daemons.len() - 1].home;
    let exe =
        std::env::current_exe().map_or_else(|_| "datanet".to_owned(), |p| p.display().to_string());
    say(json, &format!("  {exe} --home {} status", last.display()))?;
    say(json, &format!("  {exe} --home {} list", last.display()))?;
    say(
        json,
        &format!(
            "  curl --unix-socket {} http://datanet/v1/status",
            home::socket(last).display()
        ),
    )?;
    say(
        json,
        &format!("daemon logs: {}/node-*/daemon.log", summary.dir.display()),
    )?;
    if !exit {
        say(json, "press Ctrl-C to stop every daemon")?;
        let _ = tokio::signal::ctrl_c().await;
    }
    Ok(())
}

/// Stops every daemon, saying so. The daemons are stopped even when the output has been
/// closed, so what is said is let go if it cannot be written.
async fn stop_all(daemons: &mut [Daemon], dir: &Path, json: bool) {
    let _ = step(json, "stopping the daemons");
    for daemon in daemons.iter_mut() {
        stop(&mut daemon.child).await;
    }
    let _ = say(
        json,
        &format!(
            "stopped {} daemons; their homes stay in {}",
            daemons.len(),
            dir.display()
        ),
    );
}

/// A step of the walk-through.
pub(super) fn step(json: bool, text: &str) -> Result<(), CliError> {
    say(json, &format!("==> {text}"))
}

/// One line for the reader: on stdout, or on stderr when stdout carries the JSON summary.
pub(super) fn say(json: bool, text: &str) -> Result<(), CliError> {
    if json {
        output::stderr(|out| writeln!(out, "{text}"))
    } else {
        output::stdout(|out| writeln!(out, "{text}"))
    }
}

/// `listen` with each port 0 replaced by a port free now, so that a devnet daemon restarted
/// from its home listens where its peers remember it and they reconnect.
fn fixed_ports(listen: &[String]) -> Result<Vec<String>, CliError> {
    let free = |bound: std::io::Result<std::net::SocketAddr>| {
        bound
            .map(|a| a.port())
            .map_err(|e| CliError::Other(format!("cannot find a free loopback port: {e}")))
    };
    listen
        .iter()
        .map(|address| {
            if address.contains("/tcp/0") {
                let port =
                    free(std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()))?;
                Ok(address.replacen("/tcp/0", &format!("/tcp/{port}"), 1))
            } else if address.contains("/udp/0/") {
                let port =
                    free(std::net::UdpSocket::bind("127.0.0.1:0").and_then(|s| s.local_addr()))?;
                Ok(address.replacen("/udp/0/", &format!("/udp/{port}/"), 1))
            } else {
                Ok(address.clone())
            }
        })
        .collect()
}

/// Initializes `home` on loopback with the devnet's settings and starts its daemon, called
/// `name` in what is said.
async fn start_daemon(
    name: &str,
    home: &Path,
    bootstrap: &[String],
    chain: Option<&Chain>,
) -> Result<Daemon, CliError> {
    let devnet = datanet_config::Config::parse(datanet_config::DEVNET_TOML, "devnet.toml", [])
        .map_err(|e| CliError::Other(e.to_string()))?;
    let duration = |d: Duration| home::toml_string(&format!("{}ms", d.as_millis()));
    let mut settings = chain.map(Chain::settings).unwrap_or_default();
    settings.extend([
        (
            "network.listen",
            toml_strings(&fixed_ports(&devnet.network.listen)?),
        ),
        ("network.bootstrap", toml_strings(bootstrap)),
        (
            "network.request_timeout",
            duration(devnet.network.request_timeout),
        ),
        (
            "network.presence_interval",
            duration(devnet.network.presence_interval),
        ),
        ("repair.interval", duration(devnet.repair.interval)),
        ("repair.grace", duration(devnet.repair.grace)),
        (
            "storage.staged_grace",
            duration(devnet.storage.staged_grace),
        ),
        ("validator.epoch", duration(devnet.validator.epoch)),
        ("attribution.enabled", "true".to_owned()),
        (
            "validator.retrieve_timeout",
            duration(devnet.validator.retrieve_timeout),
        ),
    ]);
    let made = home::init(home, &settings, devnet.validator.enabled)?;
    if let (Some(chain), Some(evm)) = (chain, &made.evm) {
        chain.fund(evm).await?;
    }
    let validator = made
        .validator
        .ok_or_else(|| CliError::Other("the devnet's homes make validator keys".into()))?;
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Other(format!("cannot find the datanet binary: {e}")))?;
    let log = std::fs::File::create(home.join("daemon.log"))
        .map_err(|e| CliError::Other(format!("cannot create the daemon log: {e}")))?;
    let child = Command::new(exe)
        .arg("--home")
        .arg(home)
        .arg("run")
        .env("RUST_LOG", "info,libp2p=warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| CliError::Other(format!("cannot start a daemon: {e}")))?;
    let mut daemon = Daemon {
        name: name.to_owned(),
        home: home.to_path_buf(),
        client: Client::new(&home::socket(home)),
        child,
        validator,
    };
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if daemon.client.get::<StatusView>("/v1/status").await.is_ok() {
            return Ok(daemon);
        }
        if let Ok(Some(status)) = daemon.child.try_wait() {
            return Err(CliError::Other(format!(
                "the daemon in {} exited ({status}):\n{}",
                home.display(),
                daemon.log_tail()
            )));
        }
        if Instant::now() > deadline {
            return Err(CliError::Other(format!(
                "the daemon in {} did not answer within {} s:\n{}",
                home.display(),
                START_TIMEOUT.as_secs(),
                daemon.log_tail()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until every daemon is connected to every other.
async fn wait_for_mesh(daemons: &[Daemon]) -> Result<(), CliError> {
    let others = daemons.len() - 1;
    wait_until(
        START_TIMEOUT,
        "every node to connect to every other",
        || async {
            for daemon in daemons {
                match daemon.client.get::<Vec<PeerView>>("/v1/peers").await {
                    Ok(peers) if peers.len() >= others => {}
                    _ => return false,
                }
            }
            true
        },
    )
    .await
}

async fn wait_until<F, Fut>(limit: Duration, what: &str, mut done: F) -> Result<(), CliError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !done().await {
        if Instant::now() > deadline {
            return Err(CliError::Other(format!(
                "gave up waiting {} s for {what}",
                limit.as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}

/// Stops a daemon with SIGTERM, then SIGKILL if it has not exited within 10 s.
async fn stop(child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .await;
    }
    if tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}

/// A JSON-lines instruction dataset of about `len` bytes, the same for every run.
fn write_sample(path: &Path, len: u64) -> Result<(), CliError> {
    const WORDS: &[&str] = &[
        "data",
        "network",
        "model",
        "sample",
        "chunk",
        "proof",
        "peer",
        "square",
        "root",
        "validator",
        "contributor",
        "dataset",
        "commons",
        "erasure",
        "column",
        "row",
        "share",
        "quorum",
        "anchor",
        "reward",
        "light",
        "client",
        "storage",
        "gossip",
        "availability",
    ];
    let file = std::fs::File::create(path)
        .map_err(|e| CliError::Other(format!("cannot write {}: {e}", path.display())))?;
    let mut out = std::io::BufWriter::new(file);
    let mut rng = StdRng::seed_from_u64(7);
    let mut written = 0u64;
    let mut id = 0u64;
    let sentence = |rng: &mut StdRng, n: usize| {
        (0..n)
            .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    };
    while written < len {
        let prompt = sentence(&mut rng, 12);
        let response = sentence(&mut rng, 40);
        let line = format!("{{\"id\":{id},\"prompt\":\"{prompt}\",\"response\":\"{response}\"}}\n");
        out.write_all(line.as_bytes())
            .map_err(|e| CliError::Other(format!("cannot write {}: {e}", path.display())))?;
        written += line.len() as u64;
        id += 1;
    }
    out.flush()
        .map_err(|e| CliError::Other(format!("cannot write {}: {e}", path.display())))
}

fn file_hash(path: &Path) -> Result<blake3::Hash, CliError> {
    let mut hasher = blake3::Hasher::new();
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::Other(format!("cannot read {}: {e}", path.display())))?;
    hasher
        .update_reader(file)
        .map_err(|e| CliError::Other(format!("cannot read {}: {e}", path.display())))?;
    Ok(hasher.finalize())
}
