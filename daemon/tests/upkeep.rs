//! Connection upkeep and catch-up on loopback: a node started before its bootstrap peer
//! connects once that peer listens, a node whose only peer left reconnects when it returns, a
//! restarted node finds its peers again from its peer book with no bootstrap configured, and
//! a node that was away learns the contributions it missed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::{connect, free_port, open_datanet, payload, until_storage_peer, WAIT};
use datanet_daemon::{peer_id_of, Node, NodeConfig, NodeKeys};
use datanet_net::test_utils::wait_for;
use datanet_net::{Multiaddr, NetEvent};
use datanet_protocol::SecretKey;
use datanet_storage::Store;

/// Keys that are the same each time they are made from `seed`.
fn keys(seed: u8) -> NodeKeys {
    NodeKeys {
        network: SecretKey::from_seed([seed; 32]),
        contributor: SecretKey::from_seed([seed.wrapping_add(100); 32]),
        validator: None,
        evm: None,
    }
}

/// A node with keys from `seed` whose store is in `home`, listening on TCP `port` only.
async fn start_at(home: &Path, seed: u8, port: u16, bootstrap: Vec<Multiaddr>) -> Node {
    let store = Store::open(&home.join("store")).unwrap();
    let mut config = NodeConfig::local();
    config.listen = vec![format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap()];
    config.bootstrap = bootstrap;
    config.repair_interval = Duration::from_secs(3600);
    Node::start(config, keys(seed), store).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_started_before_its_bootstrap_peer_connects_once_that_peer_listens() {
    let (home_a, home_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port = free_port();
    let a_id = peer_id_of(&keys(1).network).unwrap();
    let bootstrap: Multiaddr = format!("/ip4/127.0.0.1/tcp/{port}/p2p/{a_id}")
        .parse()
        .unwrap();
    let b = start_at(home_b.path(), 2, free_port(), vec![bootstrap.clone()]).await;
    tokio::time::timeout(WAIT, async {
        while b.connectivity().failing.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the first dial fails while nothing listens");
    let why = b.connectivity().why_no_peers();
    assert!(why.contains(&bootstrap.to_string()), "{why}");

    let a = start_at(home_a.path(), 1, port, Vec::new()).await;
    until_storage_peer(&b, a_id).await;
    assert!(
        b.connectivity().failing.is_empty(),
        "the failure is cleared once connected"
    );
    b.shutdown().await;
    a.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_peer_is_redialled_when_it_returns_and_remembered_across_a_restart() {
    let (home_a, home_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (port_a, port_b) = (free_port(), free_port());
    let a = start_at(home_a.path(), 3, port_a, Vec::new()).await;
    let b = start_at(home_b.path(), 4, port_b, Vec::new()).await;
    let (a_id, b_id) = (a.peer_id(), b.peer_id());
    connect(&b, &[&a]).await;
    tokio::time::timeout(WAIT, async {
        loop {
            let book = b.store().run(|s| s.peers()).await.unwrap();
            if book.iter().any(|p| p.peer_id == a_id.to_bytes()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("b writes a into its peer book");

    b.shutdown().await;
    drop(b);
    let b = start_at(home_b.path(), 4, port_b, Vec::new()).await;
    assert_eq!(b.peer_id(), b_id);
    until_storage_peer(&b, a_id).await;

    let mut events = b.net_events();
    a.shutdown().await;
    drop(a);
    if b.peers().await.unwrap().contains(&a_id) {
        wait_for(&mut events, WAIT, |e| {
            matches!(e, NetEvent::PeerDisconnected(p) if p == a_id).then_some(())
        })
        .await
        .expect("b sees a leave");
    }
    let a = start_at(home_a.path(), 3, port_a, Vec::new()).await;
    until_storage_peer(&b, a_id).await;
    b.shutdown().await;
    a.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_was_away_learns_every_contribution_it_missed_when_it_returns() {
    let (home_a, home_c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (port_a, port_c) = (free_port(), free_port());
    let a = start_at(home_a.path(), 5, port_a, Vec::new()).await;
    let bootstrap: Multiaddr = format!("/ip4/127.0.0.1/tcp/{port_a}/p2p/{}", a.peer_id())
        .parse()
        .unwrap();
    let c = start_at(home_c.path(), 6, port_c, vec![bootstrap.clone()]).await;
    until_storage_peer(&c, a.peer_id()).await;
    let datanet = open_datanet(&a, "missed").await;
    c.datanet(datanet).await.unwrap();
    let before = a
        .contribute(datanet, payload(10_000), "application/octet-stream")
        .await
        .unwrap()
        .contribution;
    c.shutdown().await;
    drop(c);

    let mut missed = Vec::new();
    for i in 0..3 {
        let report = a
            .contribute(datanet, payload(20_000 + i), "application/octet-stream")
            .await
            .unwrap();
        missed.push(report.contribution);
    }
    let c = start_at(home_c.path(), 6, port_c, vec![bootstrap]).await;
    tokio::time::timeout(WAIT, async {
        loop {
            let held = c.store().run(|s| s.contributions()).await.unwrap();
            if missed.iter().chain([&before]).all(|id| held.contains(id)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the node learns the three contributions it missed");
    let samples = c.sample(missed[2], 8).await.unwrap();
    assert!(samples.iter().all(|s| s.available()), "{samples:?}");
    c.shutdown().await;
    a.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restarted_alone_takes_over_no_column_of_the_peers_it_remembers() {
    let homes: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut nodes = Vec::new();
    for i in 0..3 {
        nodes.push(start_at(homes[i].path(), 20 + i as u8, ports[i], Vec::new()).await);
    }
    connect(&nodes[1], &[&nodes[0]]).await;
    connect(&nodes[2], &[&nodes[0], &nodes[1]]).await;
    let datanet = open_datanet(&nodes[0], "restart").await;
    let report = nodes[0]
        .contribute(datanet, payload(300_000), "application/octet-stream")
        .await
        .unwrap();
    assert!(report.complete(), "{report:?}");
    let before = nodes[0].repair().await.unwrap();
    assert!(before.owed > 0 && before.missing == 0, "{before:?}");
    assert_eq!(before.under_replicated, 0);
    for id in [nodes[1].peer_id(), nodes[2].peer_id()] {
        tokio::time::timeout(WAIT, async {
            while !nodes[0]
                .store()
                .run(|s| s.peers())
                .await
                .unwrap()
                .iter()
                .any(|p| p.peer_id == id.to_bytes())
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("the peers are in the book");
    }
    for node in nodes.drain(..) {
        node.shutdown().await;
    }

    let alone = start_at(homes[0].path(), 20, ports[0], Vec::new()).await;
    let after = alone.repair().await.unwrap();
    assert_eq!(
        (after.owed, after.missing, after.repaired),
        (before.owed, 0, 0),
        "the same columns owed as before the restart, none to fetch"
    );
    assert!(
        after.under_replicated > 0,
        "the columns of the peers not back yet lack custodians: {after:?}"
    );
    alone.shutdown().await;
}
