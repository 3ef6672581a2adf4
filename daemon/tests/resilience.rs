//! The network under faults, with every daemon a separate `datanet` process: a daemon that
//! was down while contributions were made catches up on them when it returns, and a network
//! cut in two halves that both take contributions converges once the cut heals, and four
//! validators cut two and two settle nothing until the cut heals (daemons in network
//! namespaces of their own, joined by bridges; needs root).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::process::{
    assert_gets_bit_exact, contribute, contribution_count, init_at, is_root, json, peer_count,
    wait_until, Daemon,
};
use common::{free_port, payload};
use datanet_net::custody::custodians;
use datanet_net::PeerId;

/// Configuration overrides for every daemon here: repair runs every second, so columns are
/// rebuilt soon after custody moves, and a request to a peer that cannot be reached fails
/// after five seconds instead of twenty.
const ENV: &[(&str, &str)] = &[
    ("DATANET_REPAIR_INTERVAL", "1s"),
    ("DATANET_NETWORK_REQUEST_TIMEOUT", "5s"),
    ("DATANET_VALIDATOR_EPOCH", "2s"),
];
/// Custodians per column, the default.
const REPLICAS: usize = 2;

/// Writes `len` bytes of a pattern (shifted by `seed`) to `dir/name`; returns the path and
/// the bytes.
fn input(dir: &Path, name: &str, len: usize, seed: u8) -> (PathBuf, Vec<u8>) {
    let data: Vec<u8> = payload(len).into_iter().map(|b| b ^ seed).collect();
    let path = dir.join(name);
    std::fs::write(&path, &data).unwrap();
    (path, data)
}

/// Creates a datanet at `homes[0]` and waits until every daemon knows it (and so follows
/// it); its id.
fn datanet_known_everywhere(homes: &[PathBuf], name: &str) -> String {
    let id = json(&homes[0], &["create", name])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for home in homes {
        wait_until("every daemon knows the datanet", || {
            json(home, &["list"])
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["id"] == id.as_str())
        });
    }
    id
}

/// For each chunk of contribution `id`, the columns the daemon at `home` owes as a custodian
/// among `peers` (itself `me`) that it does not hold.
fn columns_missing(home: &Path, id: &str, me: PeerId, peers: &[PeerId]) -> Vec<Vec<u16>> {
    json(home, &["show", id])["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|chunk| {
            let width = 2 * chunk["k"].as_u64().unwrap() as u16;
            let held: Vec<u64> = chunk["columns_held"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_u64().unwrap())
                .collect();
            (0..width)
                .filter(|c| custodians(peers, usize::from(width), *c, REPLICAS).contains(&me))
                .filter(|c| !held.contains(&u64::from(*c)))
                .collect()
        })
        .collect()
}

#[test]
fn a_daemon_that_was_down_catches_up_on_three_contributions_and_holds_what_it_owes() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let homes: Vec<PathBuf> = (0..4).map(|i| dir.path().join(format!("n{i}"))).collect();
    let listen: Vec<String> = homes
        .iter()
        .map(|_| format!("/ip4/127.0.0.1/tcp/{}", free_port()))
        .collect();
    let mut peers: Vec<PeerId> = Vec::new();
    let mut bootstrap: Vec<String> = Vec::new();
    for (home, address) in homes.iter().zip(&listen) {
        let peer = init_at(home, std::slice::from_ref(address), &bootstrap);
        if bootstrap.is_empty() {
            bootstrap.push(format!("{address}/p2p/{peer}"));
        }
        peers.push(peer.parse().unwrap());
    }
    let mut daemons: Vec<Daemon> = homes
        .iter()
        .map(|h| Daemon::start_with(h, ENV, None))
        .collect();
    for home in &homes {
        wait_until("a full mesh", || peer_count(home) == 3);
    }
    let datanet = datanet_known_everywhere(&homes, "offline");

    let away = 3;
    daemons[away].stop();
    for home in &homes[..away] {
        wait_until("the others see it leave", || peer_count(home) == 2);
    }
    let mut made = Vec::new();
    for (i, len) in [150_000, 1_200_000, 3_000_000].into_iter().enumerate() {
        let (file, data) = input(dir.path(), &format!("in{i}.bin"), len, i as u8);
        made.push((contribute(&homes[i], &file, &datanet), data));
    }

    daemons[away] = Daemon::start_with(&homes[away], ENV, None);
    let home = &homes[away];
    wait_until("the returning daemon learns the three manifests", || {
        contribution_count(home) == 3
    });
    for (id, _) in &made {
        wait_until("the returning daemon holds every column it owes", || {
            columns_missing(home, id, peers[away], &peers)
                .iter()
                .all(Vec::is_empty)
        });
    }
    for (i, (id, data)) in made.iter().enumerate() {
        let what = format!("contribution {i} bit-exact through the returning daemon");
        assert_gets_bit_exact(home, dir.path(), id, data, &what);
    }
    for daemon in &mut daemons {
        daemon.stop();
    }
    eprintln!("offline catch-up: {:?}", started.elapsed());
}

/// Runs `ip ARGS` and checks it succeeded.
fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Network namespaces made for one test: a hub holding two bridges, one per side, joined by
/// one veth pair, and one namespace per node with a veth into its side's bridge. Private
/// addresses are used inside them only. Every namespace is deleted when this is dropped,
/// whatever happened, after the daemons in them (declared later, so dropped first).
struct Partitionable {
    hub: String,
    nodes: Vec<String>,
}

/// The subnet of the test network's nodes; node `i` is `.{i + 1}`.
const SUBNET: &str = "10.213.7";

impl Partitionable {
    /// The namespaces and links for `sides` (each node's side: `false` for a, `true` for b),
    /// named after this process and `tag` so parallel runs and tests do not meet.
    fn create(sides: &[bool], tag: &str) -> Partitionable {
        let prefix = format!("dn{}-{tag}", std::process::id());
        let mut made = Partitionable {
            hub: format!("{prefix}-hub"),
            nodes: Vec::new(),
        };
        ip(&["netns", "add", &made.hub]);
        let hub = made.hub.clone();
        for bridge in ["bra", "brb"] {
            ip(&["-n", &hub, "link", "add", bridge, "type", "bridge"]);
            ip(&["-n", &hub, "link", "set", bridge, "up"]);
        }
        ip(&[
            "-n", &hub, "link", "add", "cut-a", "type", "veth", "peer", "name", "cut-b",
        ]);
        for (end, bridge) in [("cut-a", "bra"), ("cut-b", "brb")] {
            ip(&["-n", &hub, "link", "set", end, "master", bridge, "up"]);
        }
        for (i, side_b) in sides.iter().enumerate() {
            let node = format!("{prefix}-n{i}");
            ip(&["netns", "add", &node]);
            made.nodes.push(node.clone());
            let port = format!("v{i}");
            ip(&[
                "-n", &hub, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns",
                &node,
            ]);
            let bridge = if *side_b { "brb" } else { "bra" };
            ip(&["-n", &hub, "link", "set", &port, "master", bridge, "up"]);
            let address = format!("{SUBNET}.{}/24", i + 1);
            ip(&["-n", &node, "addr", "add", &address, "dev", "eth0"]);
            ip(&["-n", &node, "link", "set", "eth0", "up"]);
            ip(&["-n", &node, "link", "set", "lo", "up"]);
        }
        made
    }

    /// Cuts the link between the two sides.
    fn partition(&self) {
        ip(&["-n", &self.hub, "link", "set", "cut-a", "down"]);
    }

    /// Restores the link between the two sides.
    fn heal(&self) {
        ip(&["-n", &self.hub, "link", "set", "cut-a", "up"]);
    }
}

impl Drop for Partitionable {
    fn drop(&mut self) {
        for name in self.nodes.iter().chain([&self.hub]) {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
}

/// Daemons in namespaces of their own on `sides` (see [`Partitionable::create`]), homes
/// under `dir`, each made a validator when `validators` is set, all bootstrapped from the
/// first and connected to every other; returns the namespaces, the homes, the daemons and
/// the validator keys (empty without validators).
fn start_partitionable(
    sides: &[bool],
    dir: &Path,
    validators: bool,
) -> (Partitionable, Vec<PathBuf>, Vec<Daemon>, Vec<String>) {
    let net = Partitionable::create(sides, if validators { "v" } else { "s" });
    let homes: Vec<PathBuf> = (0..sides.len())
        .map(|i| dir.join(format!("n{i}")))
        .collect();
    let mut bootstrap: Vec<String> = Vec::new();
    let mut keys = Vec::new();
    for (i, home) in homes.iter().enumerate() {
        let host = format!("/ip4/{SUBNET}.{}", i + 1);
        let listen = [
            format!("{host}/tcp/4001"),
            format!("{host}/udp/4001/quic-v1"),
        ];
        let mut args = vec!["init"];
        if validators {
            args.push("--validator");
        }
        for address in listen.iter().chain(&bootstrap) {
            let flag = if listen.contains(address) {
                "--listen"
            } else {
                "--bootstrap"
            };
            args.extend([flag, address.as_str()]);
        }
        let made = json(home, &args);
        if let Some(key) = made["validator"].as_str() {
            keys.push(key.to_owned());
        }
        if bootstrap.is_empty() {
            let peer = made["peer_id"].as_str().unwrap();
            bootstrap.push(format!("{}/p2p/{peer}", listen[0]));
        }
    }
    let daemons: Vec<Daemon> = homes
        .iter()
        .zip(&net.nodes)
        .map(|(home, netns)| Daemon::start_with(home, ENV, Some(netns)))
        .collect();
    let everyone = sides.len() as u64 - 1;
    for home in &homes {
        wait_until("a full mesh", || peer_count(home) == everyone);
    }
    (net, homes, daemons, keys)
}

#[test]
fn a_network_cut_in_two_halves_that_both_take_contributions_converges_when_it_heals() {
    if !is_root() {
        eprintln!(
            "\n!!!!!!!! SKIPPED: the partition test makes network namespaces and needs root; \
             run it as root (CI does) !!!!!!!!\n"
        );
        return;
    }
    let started = Instant::now();
    let sides = [false, false, false, true, true, true];
    let dir = tempfile::tempdir().unwrap();
    let (net, homes, mut daemons, _) = start_partitionable(&sides, dir.path(), false);
    let everyone = sides.len() as u64 - 1;
    let datanet = datanet_known_everywhere(&homes, "partition");

    net.partition();
    let half = everyone / 2;
    for home in &homes {
        wait_until("each half sees only itself", || peer_count(home) == half);
    }
    let mut made = Vec::new();
    for (i, at) in [1, 4, 5].into_iter().enumerate() {
        let (file, data) = input(dir.path(), &format!("in{i}.bin"), 400_000 + i, i as u8);
        made.push((contribute(&homes[at], &file, &datanet), data));
    }
    eprintln!("partitioned and contributed: {:?}", started.elapsed());

    net.heal();
    for home in &homes {
        wait_until("every daemon learns every manifest", || {
            contribution_count(home) == made.len() as u64
        });
    }
    eprintln!("converged: {:?}", started.elapsed());
    for (h, home) in homes.iter().enumerate() {
        for (i, (id, data)) in made.iter().enumerate() {
            let what = format!("contribution {i} bit-exact at daemon {h}");
            assert_gets_bit_exact(home, dir.path(), id, data, &what);
        }
    }
    for daemon in &mut daemons {
        daemon.stop();
    }
    eprintln!("partition and heal: {:?}", started.elapsed());
}

#[test]
fn four_validators_cut_two_and_two_settle_nothing_until_the_cut_heals() {
    if !is_root() {
        eprintln!(
            "\n!!!!!!!! SKIPPED: the validator partition test makes network namespaces and needs \
             root; run it as root (CI does) !!!!!!!!\n"
        );
        return;
    }
    let sides = [false, false, true, true];
    let dir = tempfile::tempdir().unwrap();
    let (net, homes, mut daemons, keys) = start_partitionable(&sides, dir.path(), true);
    let mut create = vec!["create", "split"];
    for key in &keys {
        create.extend(["--validator", key.as_str()]);
    }
    let datanet = json(&homes[0], &create)["id"].as_str().unwrap().to_owned();
    for home in &homes {
        wait_until("every daemon knows the datanet", || {
            json(home, &["list"])
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["id"] == datanet.as_str())
        });
    }
    net.partition();
    for home in &homes {
        wait_until("each half sees only itself", || peer_count(home) == 1);
    }
    let mut made = Vec::new();
    for (i, at) in [0, 3].into_iter().enumerate() {
        let (file, _) = input(dir.path(), &format!("v{i}.bin"), 300_000 + i, i as u8);
        made.push((at, contribute(&homes[at], &file, &datanet)));
    }
    let show = |home: &Path, id: &str| json(home, &["show", id]);
    for (at, id) in &made {
        let side = sides[*at];
        for (home, _) in homes.iter().zip(&sides).filter(|(_, s)| **s == side) {
            wait_until("both validators of the side accept", || {
                show(home, id)["validation"]["accepting_stake"].as_u64() == Some(2)
            });
        }
    }
    std::thread::sleep(std::time::Duration::from_secs(6));
    for (at, id) in &made {
        let view = show(&homes[*at], id);
        assert_eq!(
            view["status"], "pending",
            "half the stake is no quorum: {view}"
        );
        assert!(view["validation"]["certificate"].is_null());
    }

    net.heal();
    let deadline = Instant::now() + std::time::Duration::from_secs(90);
    for home in &homes {
        for (_, id) in &made {
            loop {
                let settled = contribution_count(home) == made.len() as u64 && {
                    let view = show(home, id);
                    view["status"] == "accepted" && view["validation"]["epoch"].is_u64()
                };
                if settled {
                    break;
                }
                if Instant::now() > deadline {
                    let views: Vec<String> = homes
                        .iter()
                        .flat_map(|h| made.iter().map(|(_, c)| show(h, c).to_string()))
                        .collect();
                    panic!(
                        "not accepted and batched everywhere after the heal:\n{}",
                        views.join("\n")
                    );
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
    }
    for daemon in &mut daemons {
        daemon.stop();
    }
}
