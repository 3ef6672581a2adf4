//! Churn on loopback: round after round one node leaves for good and a fresh one joins. After
//! each departure and each arrival the repair passes settle, and then every column of every
//! contribution is held by all its custodians among the nodes left; the columns copied are
//! exactly those its custodians lacked, never more than the custodies that changed (the least
//! rendezvous hashing can move; fewer when a custodian still holds a column from an earlier
//! round); the newcomer has learned the datanet and its contributions from its peers; and
//! every contribution comes back bit-exact. `DATANET_CHURN_ROUNDS` sets the rounds (20 by
//! default, about 4 s).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{connect, mesh, open_datanet, payload, start_with, until_not_member, TestNode, WAIT};
use datanet_daemon::Node;
use datanet_net::custody::{column_replicas, custodians};
use datanet_net::test_utils::wait_for;
use datanet_net::{NetEvent, PeerId};
use datanet_protocol::{ContributionId, SquareHeader};

/// Background repair stays out of the way: the test runs every pass itself and counts them.
const NO_BACKGROUND: Duration = Duration::from_secs(3600);
const REPLICAS: usize = 2;

/// Runs repair passes on every node until a whole round of them copies nothing; returns the
/// columns copied in all.
async fn settle(nodes: &[TestNode]) -> usize {
    let mut copied = 0;
    for _ in 0..5 {
        let mut this_round = 0;
        for node in nodes {
            let report = node.node.repair().await.unwrap();
            assert!(report.unavailable.is_empty(), "{report:?}");
            this_round += report.repaired;
        }
        if this_round == 0 {
            return copied;
        }
        copied += this_round;
    }
    panic!("repair did not settle in five rounds of passes");
}

/// Column copies that custody over `after` needs and custody over `before` did not have:
/// for each column, its custodians among `after` that were not its custodians among `before`.
fn new_custodies(headers: &[SquareHeader], before: &[PeerId], after: &[PeerId]) -> usize {
    let mut count = 0;
    for header in headers {
        let width = header.params.width();
        for c in 0..width as u16 {
            let was: BTreeSet<PeerId> =
                custodians(before, width, c, REPLICAS).into_iter().collect();
            count += custodians(after, width, c, REPLICAS)
                .iter()
                .filter(|p| !was.contains(p))
                .count();
        }
    }
    count
}

fn ids(nodes: &[TestNode]) -> Vec<PeerId> {
    nodes.iter().map(|n| n.node.peer_id()).collect()
}

/// Column copies that custody over `nodes` needs and its custodians lack.
fn lacking(nodes: &[TestNode], headers: &[SquareHeader]) -> usize {
    let peers = ids(nodes);
    let mut count = 0;
    for header in headers {
        let (root, width) = (header.da_root(), header.params.width());
        for c in 0..width as u16 {
            for custodian in custodians(&peers, width, c, REPLICAS) {
                let node = nodes
                    .iter()
                    .find(|n| n.node.peer_id() == custodian)
                    .unwrap();
                if node
                    .node
                    .store()
                    .blocking()
                    .column(&root, c)
                    .unwrap()
                    .is_none()
                {
                    count += 1;
                }
            }
        }
    }
    count
}

/// Settles repair after the nodes changed from the peers `before` to `nodes`, and checks
/// that it copied exactly the columns custodians lacked, no more than the custodies that
/// changed, and left every column with all its custodians; returns the columns copied and the
/// custodies changed.
async fn settle_after_change(
    nodes: &[TestNode],
    headers: &[SquareHeader],
    before: &[PeerId],
    what: &str,
) -> (usize, usize) {
    let changed = new_custodies(headers, before, &ids(nodes));
    let needed = lacking(nodes, headers);
    assert!(
        needed <= changed,
        "{what}: {needed} lacking, {changed} custodies changed"
    );
    let copied = settle(nodes).await;
    assert_eq!(copied, needed, "{what}: columns copied");
    assert_replicated(nodes, headers);
    (copied, changed)
}

/// Every column is held by each of its custodians among `nodes`, so by at least its replicas.
fn assert_replicated(nodes: &[TestNode], headers: &[SquareHeader]) {
    let peers = ids(nodes);
    for header in headers {
        let (root, width) = (header.da_root(), header.params.width());
        for c in 0..width as u16 {
            let chosen = custodians(&peers, width, c, REPLICAS);
            assert_eq!(
                chosen.len(),
                column_replicas(width, REPLICAS).min(nodes.len())
            );
            for custodian in chosen {
                let node = nodes
                    .iter()
                    .find(|n| n.node.peer_id() == custodian)
                    .unwrap();
                assert!(
                    node.node
                        .store()
                        .blocking()
                        .column(&root, c)
                        .unwrap()
                        .is_some(),
                    "column {c} of {root} missing at its custodian"
                );
            }
        }
    }
}

/// Waits until every node in `nodes` has seen `gone` disconnect and no longer counts it
/// present (its last presence ran out).
async fn until_gone(
    nodes: &[TestNode],
    gone: PeerId,
    mut events: Vec<tokio::sync::broadcast::Receiver<NetEvent>>,
) {
    for (node, events) in nodes.iter().zip(&mut events) {
        if node.node.peers().await.unwrap().contains(&gone) {
            wait_for(events, WAIT, |e| {
                matches!(e, NetEvent::PeerDisconnected(p) if p == gone).then_some(())
            })
            .await
            .expect("the departure is seen");
        }
        until_not_member(&node.node, gone).await;
    }
}

/// Waits until `node` stores every contribution of `expected`.
async fn until_caught_up(node: &Node, expected: &[ContributionId]) {
    tokio::time::timeout(WAIT, async {
        loop {
            let held = node.store().run(|s| s.contributions()).await.unwrap();
            if expected.iter().all(|id| held.contains(id)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the newcomer learns every contribution from its peers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_churn_every_column_keeps_its_custodians_and_every_contribution_its_bytes() {
    let rounds: usize = std::env::var("DATANET_CHURN_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let mut nodes = mesh(5, NO_BACKGROUND).await;
    let datanet = open_datanet(&nodes[0].node, "churn").await;
    let data = [payload(3_000), payload(300_000)];
    let mut contributions = Vec::new();
    for bytes in &data {
        let report = nodes[0]
            .node
            .contribute(datanet, bytes.clone(), "application/octet-stream")
            .await
            .unwrap();
        assert!(report.complete(), "{report:?}");
        contributions.push(report.contribution);
    }
    let headers: Vec<SquareHeader> = contributions
        .iter()
        .flat_map(|id| {
            let store = nodes[0].node.store().blocking();
            let manifest = store.manifest(id).unwrap().unwrap();
            manifest
                .body()
                .chunks
                .iter()
                .map(|chunk| store.header(&chunk.da_root).unwrap().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    settle(&nodes).await;
    assert_replicated(&nodes, &headers);

    for round in 0..rounds {
        let before = ids(&nodes);
        let leaving = nodes.remove((round * 7 + 3) % nodes.len());
        let gone = leaving.node.peer_id();
        let events = nodes.iter().map(|n| n.node.net_events()).collect();
        leaving.node.shutdown().await;
        drop(leaving);
        until_gone(&nodes, gone, events).await;
        let (copied, minimum) = settle_after_change(
            &nodes,
            &headers,
            &before,
            &format!("round {round}: departure"),
        )
        .await;

        let before = ids(&nodes);
        let fresh = start_with(NO_BACKGROUND).await;
        let others: Vec<&Node> = nodes.iter().map(|n| &n.node).collect();
        connect(&fresh.node, &others).await;
        until_caught_up(&fresh.node, &contributions).await;
        let known = fresh.node.store().run(move |s| s.datanet(&datanet)).await;
        assert!(
            known.unwrap().is_some(),
            "the newcomer learned the datanet created before it"
        );
        nodes.push(fresh);
        let (copied_join, minimum_join) = settle_after_change(
            &nodes,
            &headers,
            &before,
            &format!("round {round}: arrival"),
        )
        .await;
        println!(
            "round {round}: departure copied {copied} columns (custodies changed: {minimum}), \
             arrival copied {copied_join} (custodies changed: {minimum_join})"
        );

        let newcomer = &nodes[nodes.len() - 1].node;
        for (id, bytes) in contributions.iter().zip(&data) {
            let fetched = newcomer.get(*id).await.unwrap();
            assert!(
                fetched == *bytes,
                "round {round}: contribution {id} differs"
            );
        }
    }
}
