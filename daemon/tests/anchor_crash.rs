//! Anchoring across crashes, with daemons as processes on loopback and a real anvil: every
//! daemon killed with SIGKILL after the anchor was sent and before it was mined, the chain
//! then mining it while they are down; restarted, they record the one anchor and anchor the
//! next batch too. No epoch is anchored twice, none is lost.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy::providers::Provider;
use common::free_port;
use common::process::{json, wait_up_to, Daemon};
use datanet_chain::{ChainParams, DevChain, Hub, HubClient};
use datanet_protocol::{DatanetId, Hash};

/// How long a batch may take to be anchored, debug builds sharing the machine.
const ANCHOR_WITHIN: Duration = Duration::from_secs(120);

/// `datanet` at `home` with `args`, which must succeed; its JSON answer.
fn ok(home: &Path, args: &[&str]) -> serde_json::Value {
    json(home, args)
}

/// The daemons' environment: short epochs and the chain.
fn env(chain: &DevChain) -> Vec<(&'static str, String)> {
    vec![
        ("DATANET_VALIDATOR_EPOCH", "2s".into()),
        ("RUST_LOG", "warn,datanet_daemon=info".into()),
        ("DATANET_CHAIN_RPC_URL", chain.rpc_url().into()),
        ("DATANET_CHAIN_CHAIN_ID", chain.chain_id().to_string()),
        ("DATANET_CHAIN_HUB", chain.deployment().hub.to_string()),
        ("DATANET_CHAIN_CONFIRMATIONS", "1".into()),
    ]
}

fn start(home: &Path, env: &[(&'static str, String)]) -> Daemon {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Daemon::start_with(home, &env, None)
}

/// The anchor of contribution `id`'s batch as `show` reports it at `home`: its state and
/// transaction.
fn anchor_of(home: &Path, id: &str) -> Option<(String, Option<String>)> {
    let view = ok(home, &["show", id]);
    let anchored = &view["validation"]["anchored"];
    let state = anchored["state"].as_str()?.to_owned();
    Some((state, anchored["tx"].as_str().map(str::to_owned)))
}

/// How many `Anchored` events the hub holds for `datanet`'s `epoch`.
fn events(rt: &tokio::runtime::Runtime, hub: &Hub, datanet: &str, epoch: u64) -> usize {
    let mut id = [0u8; 32];
    hex::decode_to_slice(datanet, &mut id).unwrap();
    rt.block_on(hub.anchor_history(DatanetId(Hash(id)), epoch, 0))
        .unwrap()
        .len()
}

#[test]
fn daemons_killed_with_an_anchor_in_flight_record_it_once_and_lose_no_batch() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let chain = rt
        .block_on(DevChain::start(&dir.path().join("anvil.log"), None, 60))
        .unwrap();
    let hub = rt
        .block_on(Hub::connect(
            ChainParams {
                rpc_url: chain.rpc_url().into(),
                chain_id: chain.chain_id(),
                hub: chain.deployment().hub,
                confirmations: 0,
            },
            None,
        ))
        .unwrap();
    let env = env(&chain);

    // Four validators on fixed loopback ports, so that restarted they find each other.
    let homes: Vec<PathBuf> = (0..4).map(|i| dir.path().join(format!("v{i}"))).collect();
    let mut keys = Vec::new();
    let mut bootstrap: Vec<String> = Vec::new();
    for home in &homes {
        let listen = format!("/ip4/127.0.0.1/tcp/{}", free_port());
        let mut args = vec!["init", "--validator", "--listen", listen.as_str()];
        for b in &bootstrap {
            args.extend(["--bootstrap", b.as_str()]);
        }
        let made = ok(home, &args);
        keys.push(made["validator"].as_str().unwrap().to_owned());
        let evm = made["evm"].as_str().unwrap().parse().unwrap();
        let open = datanet_chain::parse_open("100").unwrap();
        rt.block_on(chain.fund(evm, 10, open)).unwrap();
        if bootstrap.is_empty() {
            bootstrap.push(format!(
                "{listen}/p2p/{}",
                made["peer_id"].as_str().unwrap()
            ));
        }
    }
    let mut daemons: Vec<Daemon> = homes.iter().map(|h| start(h, &env)).collect();
    for home in &homes {
        wait_up_to(ANCHOR_WITHIN, "every validator connected", || {
            ok(home, &["status"])["peers"].as_u64() == Some(3)
        });
        ok(home, &["validator", "register"]);
    }
    let mut create = vec!["create", "anchored", "--format", "jsonl"];
    for key in &keys {
        create.extend(["--validator", key.as_str()]);
    }
    let datanet = ok(&homes[0], &create)["id"].as_str().unwrap().to_owned();
    for home in &homes {
        wait_up_to(ANCHOR_WITHIN, "the datanet everywhere", || {
            ok(home, &["list"])
                .as_array()
                .is_some_and(|all| all.iter().any(|d| d["id"] == datanet.as_str()))
        });
        ok(
            home,
            &[
                "validator",
                "register",
                "--datanet",
                &datanet,
                "--stake",
                "10",
            ],
        );
    }

    // Blocks stop being mined: the anchor, once sent, waits in anvil's pool.
    let _: () = rt
        .block_on(
            hub.provider()
                .raw_request("evm_setAutomine".into(), (false,)),
        )
        .unwrap();
    let input = dir.path().join("one.jsonl");
    std::fs::write(&input, "{\"n\":1}\n").unwrap();
    let first = common::process::contribute(&homes[0], &input, &datanet);
    wait_up_to(ANCHOR_WITHIN, "the anchor sent", || {
        homes
            .iter()
            .any(|h| anchor_of(h, &first).is_some_and(|(state, _)| state == "submitted"))
    });
    let epoch = ok(&homes[3], &["show", &first])["validation"]["epoch"]
        .as_u64()
        .unwrap();
    for daemon in &mut daemons {
        daemon.kill();
    }
    assert_eq!(events(&rt, &hub, &datanet, epoch), 0, "not mined yet");

    // The chain mines it while every daemon is down; they come back in another order.
    let _: () = rt
        .block_on(
            hub.provider()
                .raw_request("evm_setAutomine".into(), (true,)),
        )
        .unwrap();
    let _: serde_json::Value = rt
        .block_on(hub.provider().raw_request("evm_mine".into(), ()))
        .unwrap();
    for i in [2, 0, 3, 1] {
        daemons[i] = start(&homes[i], &env);
    }
    for home in &homes {
        wait_up_to(
            ANCHOR_WITHIN,
            "the anchor confirmed after the restart",
            || anchor_of(home, &first).is_some_and(|(state, _)| state == "confirmed"),
        );
    }
    assert_eq!(events(&rt, &hub, &datanet, epoch), 1, "anchored once");

    // The next batch is anchored as well.
    let input = dir.path().join("two.jsonl");
    std::fs::write(&input, "{\"n\":2}\n").unwrap();
    let second = common::process::contribute(&homes[1], &input, &datanet);
    for home in &homes {
        wait_up_to(ANCHOR_WITHIN, "the next batch anchored", || {
            anchor_of(home, &second).is_some_and(|(state, _)| state == "confirmed")
        });
    }
    let next = ok(&homes[0], &["show", &second])["validation"]["epoch"]
        .as_u64()
        .unwrap();
    assert!(next > epoch);
    assert_eq!(events(&rt, &hub, &datanet, next), 1);
    let mut id = [0u8; 32];
    hex::decode_to_slice(&datanet, &mut id).unwrap();
    let on_chain = rt
        .block_on(hub.datanet(DatanetId(Hash(id))))
        .unwrap()
        .unwrap();
    assert_eq!(on_chain.next_epoch, next + 1);
    for daemon in &mut daemons {
        daemon.stop();
    }
}
