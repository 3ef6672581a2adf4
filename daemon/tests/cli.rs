//! The `datanet` binary end to end, as separate processes on loopback: three homes set up
//! with `init`, three daemons, a contribution made with the CLI at one node, fetched
//! bit-exact at another and verified by sampling at the third; then two daemons stopped and
//! the loss reported. Also the CLI's answers to a broken config and an unwritable home, to
//! uploads the daemon refuses before reading them whole, and to readers that stop early.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::free_port;
use common::process::{
    assert_gets_bit_exact, contribute, datanet, init, is_root, json, wait_until, Daemon, BIN,
};
use serde_json::Value;

#[test]
fn three_daemons_store_fetch_and_verify_a_contribution_and_report_its_loss() {
    let dir = tempfile::tempdir().unwrap();
    let homes: Vec<PathBuf> = (0..3).map(|i| dir.path().join(format!("n{i}"))).collect();
    let mut daemons: Vec<Daemon> = Vec::new();
    let mut bootstrap = Vec::new();
    for home in &homes {
        init(home, &bootstrap);
        let daemon = Daemon::start(home);
        bootstrap.extend(daemon.listen());
        daemons.push(daemon);
    }
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(homes[0].join("node.key"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "keys are owner-only");
    let again = datanet(&homes[0], &["init"]);
    assert!(!again.status.success(), "init refuses an initialized home");
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
    for home in &homes {
        wait_until("a full mesh", || {
            json(home, &["peers"]).as_array().unwrap().len() == 2
        });
    }

    let datanet_id = json(
        &homes[0],
        &["create", "corpus", "--description", "test data"],
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = json(&homes[0], &["list"]);
    assert_eq!(listed[0]["id"], datanet_id.as_str());

    let input = dir.path().join("input.bin");
    let data: Vec<u8> = (0..10_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&input, &data).unwrap();
    let contribution = json(
        &homes[0],
        &[
            "contribute",
            input.to_str().unwrap(),
            "--datanet",
            &datanet_id,
        ],
    );
    let id = contribution["id"].as_str().unwrap().to_owned();
    assert_eq!(contribution["chunks"].as_array().unwrap().len(), 2);
    assert_eq!(contribution["dispersal"]["complete"], true);

    assert_gets_bit_exact(
        &homes[1],
        dir.path(),
        &id,
        &data,
        "bit-exact at another node",
    );
    let to_stdout = datanet(&homes[1], &["get", &id]);
    assert!(
        to_stdout.stdout == data,
        "get without -o writes the payload to stdout"
    );
    let mut closed = Command::new(BIN)
        .arg("--home")
        .arg(&homes[1])
        .args(["show", &id])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(closed.stdout.take());
    let ended = closed.wait_with_output().unwrap();
    assert!(
        !String::from_utf8_lossy(&ended.stderr).contains("panicked"),
        "a command whose output pipe is closed ends quietly"
    );

    let shown = json(&homes[2], &["show", &id]);
    assert_eq!(shown["status"], "stored");
    assert_eq!(shown["payload_len"], data.len() as u64);

    let verified = datanet(&homes[2], &["verify", &id]);
    let text = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(verified.status.code(), Some(0), "{text}");
    assert!(text.contains("available: 2 of 2 chunks"), "{text}");

    daemons[0].stop();
    daemons[1].stop();
    wait_until("the peers to go", || {
        json(&homes[2], &["peers"]).as_array().unwrap().is_empty()
    });
    let lost = datanet(&homes[2], &["--json", "verify", &id]);
    assert_eq!(
        lost.status.code(),
        Some(3),
        "verify fails when chunks cannot be sampled"
    );
    let report: Value = serde_json::from_slice(&lost.stdout).unwrap();
    assert_eq!(report["available"], false);
    for chunk in report["chunks"].as_array().unwrap() {
        assert_eq!(chunk["available"], false);
        assert_eq!(chunk["confidence"], 0.0);
        assert!(chunk["verified"].as_u64().unwrap() < chunk["requested"].as_u64().unwrap());
    }
    daemons[2].stop();
}

#[test]
fn a_config_with_a_typo_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("n");
    init(&home, &[]);
    let config = home.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("replicas = 2", "replicaz = 2")).unwrap();
    let out = datanet(&home, &["run"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("replicaz"), "{stderr}");
    assert!(stderr.contains("config.toml"), "{stderr}");
}

#[test]
fn commands_without_a_daemon_or_a_home_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("n");
    let out = datanet(&home, &["status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("datanet run"));
    let out = datanet(&home, &["run"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("datanet init"));
}

/// A folder bind-mounted read-only onto itself, unmounted on drop.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn mount(dir: &Path) -> ReadOnly {
        for args in [vec!["--bind"], vec!["-o", "remount,bind,ro"]] {
            let status = Command::new("mount")
                .args(&args)
                .arg(dir)
                .arg(dir)
                .status()
                .unwrap();
            assert!(status.success(), "mount {args:?}");
        }
        ReadOnly(dir.to_path_buf())
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_home_that_is_not_writable_is_a_clear_error() {
    if !is_root() {
        eprintln!("skipped: a read-only bind mount needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("n");
    init(&home, &[]);
    let frozen = dir.path().join("frozen");
    std::fs::create_dir(&frozen).unwrap();
    let _ro_home = ReadOnly::mount(&home);
    let _ro_frozen = ReadOnly::mount(&frozen);

    let out = datanet(&frozen.join("new"), &["init"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("cannot create"), "{stderr}");

    let out = datanet(&home, &["run"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("Read-only file system") || stderr.contains("not writable"),
        "{stderr}"
    );
}

#[test]
fn the_devnet_walks_a_contribution_through_separate_daemons_and_stops_them() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = dir.path().join("devnet");
    let out = Command::new(BIN)
        .args([
            "--json",
            "devnet",
            "--nodes",
            "3",
            "--sample-mib",
            "9",
            "--exit",
            "--dir",
        ])
        .arg(&devnet)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("==> retrieving it at node-2"), "{stderr}");
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["bit_exact"], true);
    assert_eq!(summary["verification"]["available"], true);
    assert_eq!(
        summary["contribution"]["chunks"].as_array().unwrap().len(),
        2
    );
    assert_eq!(summary["contribution"]["dispersal"]["complete"], true);
    assert!(summary["anchored"]["tx"]
        .as_str()
        .unwrap()
        .starts_with("0x"));
    assert!(summary["anchored"]["block"].as_u64().unwrap() > 0);
    assert!(summary["anchored"]["confirmations"].as_u64().unwrap() >= 1);
    assert_eq!(summary["light"]["trusts"], "chain");
    assert_eq!(summary["light"]["verdict"]["available"], true);
    assert_eq!(
        summary["light"]["verdict"]["contribution"],
        summary["contribution"]["id"]
    );
    assert!(summary["light"]["verdict"]["confidence"].as_f64().unwrap() >= 0.9999);
    let proof: Value = serde_json::from_str(
        &std::fs::read_to_string(summary["anchored"]["proof"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(proof["contribution"], summary["contribution"]["id"]);
    assert_eq!(proof["tx"], summary["anchored"]["tx"]);
    let nodes = summary["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    for node in nodes {
        let socket = PathBuf::from(node["socket"].as_str().unwrap());
        assert!(
            !socket.exists(),
            "every daemon was stopped: {}",
            socket.display()
        );
    }
    let again = Command::new(BIN)
        .args(["devnet", "--exit", "--dir"])
        .arg(&devnet)
        .output()
        .unwrap();
    assert!(!again.status.success(), "a used devnet folder is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}

/// A home with its daemon, alone on loopback.
fn lone_daemon(dir: &Path) -> (PathBuf, Daemon) {
    let home = dir.join("n");
    init(&home, &[]);
    let daemon = Daemon::start(&home);
    (home, daemon)
}

/// Checks that a `contribute` ended with the daemon's error `code` on stderr and exit code 1,
/// not killed by SIGPIPE.
fn assert_refused(out: &Output, code: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.signal(),
        None,
        "killed by a signal, silently: {stderr:?}"
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(code), "the daemon's error {code}: {stderr}");
}

/// Far more than a Unix socket buffers, so the daemon answers while the upload is still being
/// written.
const LARGE: u64 = 64 << 20;

#[test]
fn contributing_to_an_unknown_datanet_shows_the_daemons_error_though_it_stops_reading_early() {
    let dir = tempfile::tempdir().unwrap();
    let (home, _daemon) = lone_daemon(dir.path());
    let input = dir.path().join("large.bin");
    std::fs::File::create(&input)
        .unwrap()
        .set_len(LARGE)
        .unwrap();
    let unknown = "ab".repeat(32);
    for _ in 0..5 {
        let out = datanet(
            &home,
            &["contribute", input.to_str().unwrap(), "--datanet", &unknown],
        );
        assert_refused(&out, "(404 not_found)");
        assert!(String::from_utf8_lossy(&out.stderr).contains("is unknown here"));
    }
}

#[test]
fn uploads_refused_by_the_datanets_policy_show_the_daemons_error() {
    let dir = tempfile::tempdir().unwrap();
    let (home, _daemon) = lone_daemon(dir.path());
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"max_contribution_bytes": 1048576, "media_types": ["application/jsonl"]}"#,
    )
    .unwrap();
    let id = json(
        &home,
        &["create", "small", "--policy", policy.to_str().unwrap()],
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let input = dir.path().join("large.jsonl");
    std::fs::File::create(&input)
        .unwrap()
        .set_len(LARGE)
        .unwrap();
    let file = input.to_str().unwrap();

    let out = datanet(&home, &["contribute", file, "--datanet", &id]);
    assert_refused(&out, "(415 unsupported_media_type)");
    let media_type = ["--media-type", "application/jsonl"];
    let out = datanet(
        &home,
        &[&["contribute", file, "--datanet", &id][..], &media_type].concat(),
    );
    assert_refused(&out, "(413 payload_too_large)");

    let mut streamed = Command::new(BIN)
        .arg("--home")
        .arg(&home)
        .args(["contribute", "-", "--datanet", &id])
        .args(media_type)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = streamed.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let block = vec![b'x'; 1 << 20];
        for _ in 0..LARGE >> 20 {
            if stdin.write_all(&block).is_err() {
                break;
            }
        }
    });
    let out = streamed.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert_refused(&out, "(413 payload_too_large)");
}

/// The exit code of a command whose reader stopped early: what a shell reports for a process
/// ended by SIGPIPE.
const OUTPUT_CLOSED: i32 = 141;

/// Runs `datanet args`, reads `keep` bytes of its stdout and closes it (at once when `keep` is
/// 0, before the command writes anything), and checks the command then ends promptly with
/// [`OUTPUT_CLOSED`] and nothing on stderr. Returns what was read.
fn read_then_close(home: &Path, args: &[&str], keep: usize) -> Vec<u8> {
    let mut child = Command::new(BIN)
        .arg("--home")
        .arg(home)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut head = vec![0; keep];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "{args:?} ends promptly");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(stderr, "", "{args:?} ends quietly");
    assert_eq!(status.code(), Some(OUTPUT_CLOSED), "{args:?}: {status}");
    head
}

#[test]
fn get_into_a_reader_that_stops_early_ends_quietly_and_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let (home, _daemon) = lone_daemon(dir.path());
    let datanet_id = json(&home, &["create", "corpus"])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let input = dir.path().join("input.bin");
    let data: Vec<u8> = (0..8_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&input, &data).unwrap();
    let id = contribute(&home, &input, &datanet_id);

    for _ in 0..3 {
        assert_eq!(read_then_close(&home, &["get", &id], 10), data[..10]);
    }
    for args in [&["show", &id][..], &["--json", "show", &id]] {
        read_then_close(&home, args, 0);
    }
}

#[test]
fn daemons_started_before_their_bootstrap_peer_say_why_they_are_alone_then_all_connect() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let first = dir.path().join("first");
    let listen = format!("/ip4/127.0.0.1/tcp/{port}");
    let made = json(&first, &["init", "--listen", &listen]);
    let bootstrap = format!("{listen}/p2p/{}", made["peer_id"].as_str().unwrap());
    let mut others = Vec::new();
    for i in 0..3 {
        let home = dir.path().join(format!("node-{i}"));
        init(&home, std::slice::from_ref(&bootstrap));
        others.push(Daemon::start(&home));
    }
    let alone = json(&others[0].home, &["status"]);
    assert_eq!(alone["peers"], 0);
    let why = alone["no_peers"].as_str().unwrap_or_default();
    assert!(why.contains(&bootstrap), "status says why: {alone}");
    let text = String::from_utf8(datanet(&others[0].home, &["status"]).stdout).unwrap();
    assert!(text.contains("peers          0: "), "{text}");

    let mut first = Daemon::start(&first);
    wait_until("every daemon reaches the bootstrap peer", || {
        others
            .iter()
            .all(|d| json(&d.home, &["status"])["peers"].as_u64() >= Some(1))
            && json(&first.home, &["status"])["peers"].as_u64() == Some(3)
    });
    assert!(json(&others[0].home, &["status"]).get("no_peers").is_none());
    for daemon in others.iter_mut().chain([&mut first]) {
        daemon.stop();
    }
}

#[test]
fn a_network_whose_every_daemon_restarts_in_another_order_reconnects_and_serves_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let count = 4;
    let homes: Vec<PathBuf> = (0..count)
        .map(|i| dir.path().join(format!("n{i}")))
        .collect();
    let mut bootstrap: Vec<String> = Vec::new();
    for home in &homes {
        let port = free_port();
        let listen = format!("/ip4/127.0.0.1/tcp/{port}");
        let mut args = vec!["init", "--listen", listen.as_str()];
        for address in &bootstrap {
            args.extend(["--bootstrap", address.as_str()]);
        }
        let made = json(home, &args);
        if bootstrap.is_empty() {
            bootstrap.push(format!(
                "{listen}/p2p/{}",
                made["peer_id"].as_str().unwrap()
            ));
        }
    }
    let full_mesh = |homes: &[PathBuf]| {
        for home in homes {
            wait_until("every daemon sees every other", || {
                json(home, &["status"])["peers"].as_u64() == Some(count as u64 - 1)
            });
        }
    };
    let mut daemons: Vec<Daemon> = homes.iter().map(|h| Daemon::start(h)).collect();
    full_mesh(&homes);
    let datanet_id = json(&homes[1], &["create", "restarts"])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let input = dir.path().join("input.bin");
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&input, &data).unwrap();
    let id = contribute(&homes[1], &input, &datanet_id);

    for daemon in &mut daemons {
        daemon.stop();
    }
    let mut daemons: Vec<Daemon> = [2, 0, 3, 1]
        .iter()
        .map(|i| Daemon::start(&homes[*i]))
        .collect();
    full_mesh(&homes);
    assert_gets_bit_exact(
        &homes[3],
        dir.path(),
        &id,
        &data,
        "bit-exact after the restarts",
    );
    for daemon in &mut daemons {
        daemon.stop();
    }
}

/// Runs of [`daemons_started_in_random_order_with_random_delays_all_connect_every_time`]:
/// `DATANET_START_ORDER_RUNS`, 3 by default (20 for the full check in docs/benchmarks.md).
fn start_order_runs() -> usize {
    std::env::var("DATANET_START_ORDER_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

#[test]
fn daemons_started_in_random_order_with_random_delays_all_connect_every_time() {
    use rand::seq::SliceRandom;
    use rand::Rng;

    let count = 5;
    let mut rng = rand::thread_rng();
    for run in 0..start_order_runs() {
        let dir = tempfile::tempdir().unwrap();
        let homes: Vec<PathBuf> = (0..count)
            .map(|i| dir.path().join(format!("n{i}")))
            .collect();
        let port = free_port();
        let listen = format!("/ip4/127.0.0.1/tcp/{port}");
        let made = json(&homes[0], &["init", "--listen", &listen]);
        let bootstrap = format!("{listen}/p2p/{}", made["peer_id"].as_str().unwrap());
        for home in &homes[1..] {
            init(home, std::slice::from_ref(&bootstrap));
        }
        let mut order: Vec<usize> = (0..count).collect();
        order.shuffle(&mut rng);
        let mut daemons = Vec::new();
        for i in &order {
            std::thread::sleep(Duration::from_millis(rng.gen_range(0..300)));
            daemons.push(Daemon::start(&homes[*i]));
        }
        wait_until("every daemon reaches the bootstrap peer", || {
            homes[1..]
                .iter()
                .all(|h| json(h, &["status"])["peers"].as_u64() >= Some(1))
                && json(&homes[0], &["status"])["peers"].as_u64() == Some(count as u64 - 1)
        });
        for daemon in &mut daemons {
            daemon.stop();
        }
        eprintln!("run {run}: started in order {order:?}, all connected");
    }
}

#[test]
fn create_names_validators_and_record_rules_from_flags_and_a_toml_policy() {
    let dir = tempfile::tempdir().unwrap();
    let (home, _daemon) = lone_daemon(dir.path());
    let schema = dir.path().join("schema.json");
    std::fs::write(&schema, r#"{"type": "object", "required": ["q"]}"#).unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "media_types = [\"application/jsonl\"]\nformat = \"jsonl\"\nmax_records = 500\n",
    )
    .unwrap();
    let (two, three) = (
        "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394",
        "ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1",
    );
    let view = json(
        &home,
        &[
            "create",
            "qa",
            "--policy",
            policy.to_str().unwrap(),
            "--schema",
            schema.to_str().unwrap(),
            "--max-repeat",
            "0.5",
            "--validator",
            &format!("{three}:3"),
            "--validator",
            two,
            "--threshold",
            "3/4",
        ],
    );
    assert_eq!(view["policy"]["format"], "jsonl");
    assert_eq!(view["policy"]["max_records"], 500);
    assert_eq!(view["policy"]["max_repeat_ppm"], 5000);
    assert_eq!(view["policy"]["schema"]["required"][0], "q");
    assert_eq!(view["threshold"], "3/4");
    assert_eq!(
        view["validators"],
        serde_json::json!([{"key": two, "stake": 1}, {"key": three, "stake": 3}])
    );

    let plain = json(&home, &["create", "plain"]);
    assert_eq!(plain["validators"], serde_json::json!([]));
    assert_eq!(plain["policy"]["format"], "none");

    for (flags, says) in [
        (&["--format", "csv"][..], "the csv format needs columns"),
        (&["--threshold", "2/3"][..], "a threshold needs validators"),
        (&["--validator", "abc"][..], "validator key abc"),
        (
            &["--format", "csv", "--csv-columns", "a:integer,b:date"][..],
            "unknown type \"date\"",
        ),
    ] {
        let out = datanet(&home, &[&["create", "bad"][..], flags].concat());
        assert_refused(&out, "(400 bad_request)");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{flags:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
