//! Quorum latency on loopback: four equal-stake validators in one process, N contributions
//! (default 100) of 1 MiB of JSON lines made one after another at the nodes in turn, each
//! checked against a 5-field schema. For each: the time from `contribute` returning (the
//! contribution dispersed and announced) to its certificate forming at the node that made it
//! (contribution → QC), and to its final batch being stored there (contribution → final
//! batch), with the epoch length the batch latency is judged against. Prints the median and
//! p99 of each and, as a same-run baseline, `contribute` itself.
//!
//! `cargo run --release -p datanet-daemon --example quorum_latency -- [N] [EPOCH_MS]`

use std::error::Error;
use std::time::{Duration, Instant};

use datanet_daemon::quorum::lifecycle::Stage;
use datanet_daemon::{Node, NodeConfig, NodeEvent, NodeKeys};
use datanet_protocol::signed::{Policy, RecordFormat, RecordRules, Threshold, Validator};
use datanet_protocol::{ContributionId, SecretKey, ValidatorSet};
use datanet_storage::Store;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// How long one contribution may take to settle before the run is called failed.
const SETTLE: Duration = Duration::from_secs(60);

/// About 1 MiB of JSON lines, numbered from `first`: every record distinct across the run.
fn payload(first: u64) -> Vec<u8> {
    let mut out = String::new();
    let mut n = first;
    while out.len() < 1 << 20 {
        out.push_str(&format!(
            "{{\"id\":{n},\"lang\":\"en\",\"source\":\"bench\",\"score\":0.5,\"text\":\"record {n} of the quorum latency run\"}}\n"
        ));
        n += 1;
    }
    out.into_bytes()
}

/// The value at quantile `q` of sorted `values`.
fn quantile(values: &[Duration], q: f64) -> Duration {
    let index = ((values.len() as f64 - 1.0) * q).round() as usize;
    values[index.min(values.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .init();
    }
    let mut args = std::env::args().skip(1);
    let count: u64 = args.next().map_or(Ok(100), |a| a.parse())?;
    let epoch = Duration::from_millis(args.next().map_or(Ok(2000), |a| a.parse())?);
    let dir = tempfile::tempdir()?;
    let keys: Vec<SecretKey> = (0..4).map(|_| SecretKey::generate()).collect();
    let mut nodes: Vec<Node> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let mut config = NodeConfig::local();
        config.epoch = epoch;
        let node_keys = NodeKeys {
            validator: Some(SecretKey::from_seed(key.seed())),
            ..NodeKeys::generate()
        };
        let store = Store::open(&dir.path().join(format!("n{i}")))?;
        let node = Node::start(config, node_keys, store).await?;
        for other in &nodes {
            let address = other.listen_addrs().await?.remove(0);
            node.dial(address).await?;
        }
        nodes.push(node);
    }
    while nodes[0].peers().await?.len() < 3 || nodes[3].peers().await?.len() < 3 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let schema = r#"{"type":"object","required":["id","lang","source","score","text"],
        "properties":{"id":{"type":"integer"},"lang":{"type":"string"},"source":{"type":"string"},
        "score":{"type":"number"},"text":{"type":"string"}}}"#;
    let set = ValidatorSet::new(
        keys.iter()
            .map(|k| Validator {
                key: k.public(),
                stake: 1,
            })
            .collect(),
        Threshold::TWO_THIRDS,
    )?;
    let policy = Policy {
        records: Some(RecordRules::new(RecordFormat::JsonLines {
            schema: schema.into(),
        })),
        ..Policy::default()
    };
    let datanet = nodes[0]
        .create_datanet("latency", "", policy, Some(set))
        .await?
        .id();
    for node in &nodes {
        while node.datanet(datanet).await.is_err() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    println!(
        "quorum latency: 4 validators, {count} contributions of 1 MiB, epoch {} ms; {} cores, {}",
        epoch.as_millis(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );
    let (mut contribute, mut to_qc, mut to_batch) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..count {
        let node = &nodes[(i % 4) as usize];
        let mut events = node.events();
        let data = payload(i * 100_000);
        let started = Instant::now();
        let id: ContributionId = node
            .contribute(datanet, data, "application/jsonl")
            .await?
            .contribution;
        let made = Instant::now();
        contribute.push(made - started);
        let (mut qc, mut batch) = (None, None);
        let deadline = made + SETTLE;
        while qc.is_none() || batch.is_none() {
            let wait = deadline.saturating_duration_since(Instant::now());
            let event = tokio::time::timeout(wait, events.recv())
                .await
                .map_err(|_| format!("contribution {i} did not settle and batch in time"))?;
            match event {
                Ok(NodeEvent::Settled {
                    contribution,
                    stage,
                }) if contribution == id => {
                    if stage != Stage::Accepted {
                        return Err(format!("contribution {i} was {}", stage.name()).into());
                    }
                    qc = Some(made.elapsed());
                }
                Ok(NodeEvent::Batched { .. })
                    if batch.is_none()
                        && node.lifecycle(id).await?.and_then(|l| l.epoch).is_some() =>
                {
                    batch = Some(made.elapsed());
                }
                _ => {}
            }
        }
        to_qc.extend(qc);
        to_batch.extend(batch);
    }
    for v in [&mut contribute, &mut to_qc, &mut to_batch] {
        v.sort();
    }
    println!(
        "| contribute (baseline) | {:.0} ms | {:.0} ms |",
        ms(quantile(&contribute, 0.5)),
        ms(quantile(&contribute, 0.99))
    );
    println!(
        "| contribution → QC | {:.0} ms | {:.0} ms |",
        ms(quantile(&to_qc, 0.5)),
        ms(quantile(&to_qc, 0.99))
    );
    println!(
        "| contribution → final batch | {:.0} ms ({:.2} epochs) | {:.0} ms ({:.2} epochs) |",
        ms(quantile(&to_batch, 0.5)),
        quantile(&to_batch, 0.5).as_secs_f64() / epoch.as_secs_f64(),
        ms(quantile(&to_batch, 0.99)),
        quantile(&to_batch, 0.99).as_secs_f64() / epoch.as_secs_f64()
    );
    for node in nodes {
        node.shutdown().await;
    }
    Ok(())
}

/// The CPU's model name, from /proc/cpuinfo.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}
