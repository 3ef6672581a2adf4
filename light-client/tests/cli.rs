//! The `datanet-light` command line as a user runs it, against storage nodes on loopback:
//! `sample` exits 0 on an available contribution and 4 naming the chunk once it is not;
//! `plan` prints the formula's numbers; bad input is a clear error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use datanet_protocol::chunking::MAX_CHUNK_LEN;
use datanet_protocol::signed::Policy;

const BIN: &str = env!("CARGO_BIN_EXE_datanet-light");

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sample_exits_zero_while_available_and_four_naming_the_chunk_once_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut nodes = common::mesh(dir.path(), 5).await;
    let datanet = nodes[0]
        .create_datanet("cli", "", Policy::default(), None)
        .await
        .unwrap()
        .id();
    let payload: Vec<u8> = (0..MAX_CHUNK_LEN).map(|i| (i * 13 % 251) as u8).collect();
    let id = nodes[0]
        .contribute(datanet, payload, "application/octet-stream")
        .await
        .unwrap()
        .contribution;
    let last = nodes.pop().unwrap();
    let bootstrap = last.listen_addrs().await.unwrap()[0].to_string();
    let home = dir.path().join("light");
    let sample = |json: bool| {
        let (id, bootstrap, home) = (id.to_string(), bootstrap.clone(), home.clone());
        tokio::task::spawn_blocking(move || {
            let mut command = Command::new(BIN);
            if json {
                command.arg("--json");
            }
            command
                .args(["sample", &id, "--bootstrap", &bootstrap, "--replicas", "2"])
                .arg("--home")
                .arg(&home)
                .output()
                .unwrap()
        })
    };

    let out = sample(false).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("available, confidence 0.99"), "{stdout}");

    for node in nodes {
        node.shutdown().await;
    }
    let out = sample(true).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdict: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(verdict["available"], false);
    assert_eq!(verdict["confidence"], 0.0);
    assert_eq!(verdict["contribution"], id.to_string());
    last.shutdown().await;
}

#[test]
fn plan_prints_the_samples_the_formula_needs() {
    let out = Command::new(BIN)
        .args(["--json", "plan", "--k", "128", "--confidence", "0.99"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["samples"], 16);
    assert!(plan["reached"].as_f64().unwrap() >= 0.99);
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["sample", "not-an-id", "--bootstrap", "/ip4/127.0.0.1/tcp/1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected 64 hex digits"));

    let sample = |bootstrap: &str| {
        Command::new(BIN)
            .args(["sample", &"ab".repeat(32), "--bootstrap", bootstrap])
            .arg("--home")
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let out = sample("/ip4/127.0.0.1/tcp/9");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("names no peer"), "{stderr}");
    let nobody = datanet_net::PeerId::random();
    let out = sample(&format!("/ip4/127.0.0.1/tcp/9/p2p/{nobody}"));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no bootstrap peer reached"), "{stderr}");

    let proof = dir.path().join("proof.json");
    std::fs::write(&proof, "{}").unwrap();
    let out = Command::new(BIN)
        .arg("verify-proof")
        .arg(&proof)
        .args(["--rpc", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an attribution proof"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_without_a_chain_checks_announced_contributions_says_what_it_trusts_and_stops_on_ctrl_c(
) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let nodes = common::mesh(dir.path(), 3).await;
    let datanet = nodes[0]
        .create_datanet("announced", "", Policy::default(), None)
        .await
        .unwrap()
        .id();
    let bootstrap = nodes[0].listen_addrs().await.unwrap()[0].to_string();
    let mut child = Command::new(BIN)
        .args(["--json", "run", "--no-chain", "--bootstrap", &bootstrap])
        .args(["--datanet", &datanet.to_string(), "--replicas", "2"])
        .arg("--home")
        .arg(dir.path().join("light"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, stdout) = (
        std::sync::mpsc::channel::<String>(),
        child.stdout.take().unwrap(),
    );
    let sender = lines.0.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });

    // Contributions are made until one announcement reaches the light client (its gossip
    // mesh forms within a heartbeat or two of starting).
    let mut made = Vec::new();
    let verdict: serde_json::Value = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let payload = format!("announced record {}\n", made.len()).into_bytes();
            made.push(
                nodes[0]
                    .contribute(datanet, payload, "text/plain")
                    .await
                    .unwrap()
                    .contribution
                    .to_string(),
            );
            tokio::time::sleep(Duration::from_secs(2)).await;
            if let Ok(line) = lines.1.try_recv() {
                return serde_json::from_str(&line).unwrap();
            }
        }
    })
    .await
    .expect("an announced contribution is checked");
    assert!(
        made.iter().any(|id| verdict["contribution"] == id.as_str()),
        "{verdict}"
    );
    assert_eq!(verdict["available"], true, "{verdict}");

    // Ctrl-C: it stops cleanly, having said it trusts the announcer.
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("trusting whoever announces"), "{stderr}");
    for node in nodes {
        node.shutdown().await;
    }
}
