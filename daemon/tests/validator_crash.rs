//! A validator killed with SIGKILL while it validates, then restarted on the same home: it
//! attests the contribution exactly once, and the network accepts and batches it with one
//! batch for its epoch at every node. Daemons as processes on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::process::{contribute, init_args, json, wait_until, wait_up_to, Daemon};

/// How long the restarted validator may take to be swept up, judge (a debug build) and
/// settle the contribution with the others, with other tests sharing the machine.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(150);
/// Short epochs, and the validator's log lines kept.
const ENV: &[(&str, &str)] = &[
    ("DATANET_VALIDATOR_EPOCH", "2s"),
    ("RUST_LOG", "warn,datanet_daemon=info"),
];

/// `len` bytes of JSON lines, each one distinct.
fn records(path: &Path, len: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut written = 0;
    let mut i = 0u64;
    while written < len {
        let line = format!("{{\"n\":{i},\"text\":\"record number {i} of the crash test\"}}\n");
        out.write_all(line.as_bytes()).unwrap();
        written += line.len();
        i += 1;
    }
    out.flush().unwrap();
}

/// Sets up a validating home on loopback with `bootstrap`; returns its validator key.
fn init_validator(home: &Path, bootstrap: &[String]) -> String {
    let mut args = init_args(bootstrap);
    args.push("--validator");
    json(home, &args)["validator"].as_str().unwrap().to_owned()
}

#[test]
fn a_validator_killed_mid_validation_attests_once_and_the_batch_is_the_same_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let homes: Vec<PathBuf> = (0..4).map(|i| dir.path().join(format!("v{i}"))).collect();
    let mut keys = Vec::new();
    let mut daemons: Vec<Daemon> = Vec::new();
    let mut bootstrap = Vec::new();
    for home in &homes {
        keys.push(init_validator(home, &bootstrap));
        daemons.push(Daemon::start_with(home, ENV, None));
        if bootstrap.is_empty() {
            let peer = json(home, &["status"])["peer_id"]
                .as_str()
                .unwrap()
                .to_owned();
            bootstrap = daemons[0]
                .listen()
                .into_iter()
                .map(|a| format!("{a}/p2p/{peer}"))
                .collect();
        }
    }
    for home in &homes {
        wait_until("every validator connected", || {
            json(home, &["status"])["peers"].as_u64() == Some(3)
        });
    }
    let mut create = vec!["create", "crash", "--format", "jsonl"];
    for key in &keys {
        create.extend(["--validator", key.as_str()]);
    }
    let datanet = json(&homes[0], &create)["id"].as_str().unwrap().to_owned();
    for home in &homes {
        wait_until("the datanet everywhere", || {
            json(home, &["list"])
                .as_array()
                .is_some_and(|all| all.iter().any(|d| d["id"] == datanet.as_str()))
        });
    }
    let input = dir.path().join("records.jsonl");
    records(&input, 24 << 20);
    let id = contribute(&homes[0], &input, &datanet);
    daemons[1].kill();
    daemons[1] = Daemon::start_with(&homes[1], ENV, None);

    let show = |home: &Path| json(home, &["show", &id]);
    for home in &homes {
        wait_up_to(SETTLE, "accepted and batched everywhere", || {
            let view = show(home);
            view["status"] == "accepted" && view["validation"]["epoch"].is_u64()
        });
    }
    let epochs: Vec<u64> = homes
        .iter()
        .map(|h| show(h)["validation"]["epoch"].as_u64().unwrap())
        .collect();
    assert!(epochs.windows(2).all(|w| w[0] == w[1]), "{epochs:?}");
    for home in &homes {
        let view = show(home);
        assert_eq!(view["validation"]["equivocators"], serde_json::json!([]));
        let certificate = &show(&homes[0])["validation"]["certificate"]["hash"];
        assert!(certificate.is_string());
    }
    let log = std::fs::read_to_string(homes[1].join("test-daemon.log")).unwrap();
    let attested = log
        .lines()
        .filter(|l| l.contains("attested") && l.contains(&id))
        .count();
    assert_eq!(attested, 1, "the restarted validator attests once:\n{log}");
    let served = show(&homes[2])["validation"]["attestations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["validator"] == keys[1].as_str())
        .count();
    assert_eq!(served, 1);
    for daemon in &mut daemons {
        daemon.stop();
    }
}
