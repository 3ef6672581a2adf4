//! Several nodes in one process on loopback: dispersal to custodians, retrieval by a node
//! that holds nothing, survival of stopped custodians, sampling, and withholding. Waits are on
//! events with timeouts, never on sleeps.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{
    connect, first_da_root, mesh, open_datanet, payload, square_width, start, until_members,
    until_not_member, wait_for_node_event, TestNode, WAIT,
};
use datanet_daemon::{Node, NodeError, NodeEvent};
use datanet_net::custody::custodians;
use datanet_net::test_utils::wait_for;
use datanet_net::{NetEvent, PeerId};
use datanet_protocol::chunking::MAX_CHUNK_LEN;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contribution_reaches_custodians_and_survives_stopped_nodes_until_withheld() {
    let mut storage = mesh(5, Duration::from_secs(3600)).await;
    let datanet = open_datanet(&storage[0].node, "network test").await;
    let data = payload(MAX_CHUNK_LEN + 1);
    let report = storage[0]
        .node
        .contribute(datanet, data.clone(), "application/octet-stream")
        .await
        .unwrap();
    assert!(
        report.complete(),
        "columns short of custodians: {:?}",
        report.short
    );
    assert_eq!(report.columns, 256 + 2);

    let peers: Vec<PeerId> = storage.iter().map(|n| n.node.peer_id()).collect();
    let (manifest, _) = {
        let id = report.contribution;
        let m = storage[0]
            .node
            .store()
            .blocking()
            .manifest(&id)
            .unwrap()
            .unwrap();
        (m, id)
    };
    for entry in &manifest.body().chunks {
        let width = 2 * entry.k;
        for c in 0..width {
            for custodian in custodians(&peers, usize::from(width), c, 2) {
                let node = storage
                    .iter()
                    .find(|n| n.node.peer_id() == custodian)
                    .unwrap();
                let held = node
                    .node
                    .store()
                    .blocking()
                    .column(&entry.da_root, c)
                    .unwrap();
                assert!(held.is_some(), "column {c} missing at its custodian");
            }
        }
    }

    let reader = start().await;
    let all: Vec<&Node> = storage.iter().map(|n| &n.node).collect();
    connect(&reader.node, &all).await;
    let fetched = reader.node.get(report.contribution).await.unwrap();
    assert!(fetched == data, "retrieved bytes differ");

    let small: BTreeSet<PeerId> = (0..2).flat_map(|c| custodians(&peers, 2, c, 2)).collect();
    let stopped: Vec<PeerId> = (0..256)
        .map(|c| custodians(&peers, 256, c, 2))
        .find(|pair| !small.iter().all(|p| pair.contains(p)))
        .expect("some column's custodians leave the 1-column chunk a custodian");
    let (gone, kept): (Vec<TestNode>, Vec<TestNode>) = storage
        .into_iter()
        .partition(|n| stopped.contains(&n.node.peer_id()));
    storage = kept;
    for node in gone {
        node.node.shutdown().await;
    }
    assert_eq!(storage.len(), 3);
    let mut events = reader.node.net_events();
    let mut gone: BTreeSet<PeerId> = stopped.iter().copied().collect();
    let connected: BTreeSet<PeerId> = reader.node.peers().await.unwrap().into_iter().collect();
    gone.retain(|p| connected.contains(p));
    while !gone.is_empty() {
        wait_for(&mut events, WAIT, |e| match e {
            NetEvent::PeerDisconnected(p) => Some(p),
            _ => None,
        })
        .await
        .map(|p| gone.remove(&p))
        .expect("stopped peers disconnect");
    }
    for node in storage.iter().map(|n| &n.node).chain([&reader.node]) {
        for peer in &stopped {
            until_not_member(node, *peer).await;
        }
    }
    let still = reader.node.get(report.contribution).await.unwrap();
    assert!(still == data, "bytes differ after two custodians stopped");
    for node in storage.iter().map(|n| &n.node).chain([&reader.node]) {
        let repaired = node.repair().await.unwrap();
        assert!(repaired.unavailable.is_empty(), "{repaired:?}");
    }
    let samples = reader.node.sample(report.contribution, 16).await.unwrap();
    assert!(
        samples.iter().all(|s| s.available()),
        "sampling failed: {samples:?}"
    );
    assert!(samples[0].confidence > 0.99);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withheld_data_is_reported_unavailable_by_get_and_by_sampling() {
    let mut storage = mesh(5, Duration::from_secs(3600)).await;
    let datanet = open_datanet(&storage[0].node, "withholding test").await;
    let report = storage[0]
        .node
        .contribute(datanet, payload(MAX_CHUNK_LEN), "application/octet-stream")
        .await
        .unwrap();
    assert!(report.complete());
    let last = storage.pop().unwrap();
    let reader = start().await;
    connect(&reader.node, &[&last.node]).await;
    let da_root = reader.node.sample(report.contribution, 1).await.unwrap()[0].da_root;
    for node in storage {
        node.node.shutdown().await;
    }
    let held = last
        .node
        .store()
        .blocking()
        .column_indices(&da_root)
        .unwrap();
    assert!(
        held.len() < 128,
        "one of five custodians holds {} columns",
        held.len()
    );

    let result = reader.node.get(report.contribution).await;
    assert!(
        matches!(&result, Err(NodeError::Unavailable { need: 128, .. })),
        "expected unavailable, got {:?}",
        result.as_ref().map(Vec::len)
    );
    assert!(result.unwrap_err().to_string().contains("unavailable"));
    let samples = reader.node.sample(report.contribution, 32).await.unwrap();
    assert!(!samples[0].available());
    assert!(!samples[0].failed.is_empty());
    assert_eq!(samples[0].confidence, 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custodian_rebuilds_a_deleted_column_within_bounded_time() {
    let nodes = mesh(4, Duration::from_millis(300)).await;
    let datanet = open_datanet(&nodes[0].node, "repair test").await;
    let report = nodes[0]
        .node
        .contribute(datanet, payload(300_000), "application/octet-stream")
        .await
        .unwrap();
    assert!(report.complete());
    let root = first_da_root(&nodes[0].node, report.contribution);
    let peers: Vec<PeerId> = nodes.iter().map(|n| n.node.peer_id()).collect();
    let width = square_width(&nodes[0].node, root);
    let owner = custodians(&peers, width, 3, 2)[0];
    let custodian = &nodes
        .iter()
        .find(|n| n.node.peer_id() == owner)
        .unwrap()
        .node;
    let mut events = custodian.events();
    custodian.store().blocking().drop_column(&root, 3).unwrap();
    assert!(custodian
        .store()
        .blocking()
        .column(&root, 3)
        .unwrap()
        .is_none());
    wait_for_node_event(&mut events, |e| {
        (e == NodeEvent::ColumnStored {
            da_root: root,
            index: 3,
        })
        .then_some(())
    })
    .await;
    let line = custodian
        .store()
        .blocking()
        .column(&root, 3)
        .unwrap()
        .unwrap();
    line.verify(&root).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_joins_later_fetches_a_datanet_record_from_a_peer() {
    let owner = start().await;
    let datanet = owner
        .node
        .create_datanet("late", "joined after the gossip", Default::default(), None)
        .await
        .unwrap();
    let late = start().await;
    assert!(matches!(
        late.node.datanet(datanet.id()).await,
        Err(NodeError::UnknownDatanet(_))
    ));
    connect(&late.node, &[&owner.node]).await;
    assert_eq!(late.node.datanet(datanet.id()).await.unwrap(), datanet);
    let stored = late.node.store().blocking().datanet(&datanet.id()).unwrap();
    assert_eq!(stored, Some(datanet), "the fetched record is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcements_reach_the_nodes_that_follow_their_datanet_only() {
    // Every storage node follows every datanet it learns of (it may custody any column), so
    // the node that does not follow this one is a light peer of the network alone.
    let owner = start().await;
    let datanet = owner
        .node
        .create_datanet(
            "followed",
            "announced on its own topic",
            Default::default(),
            None,
        )
        .await
        .unwrap();
    let follower = start().await;
    let stranger = datanet_net::test_utils::TestNode::start(datanet_net::Role::Light).unwrap();
    connect(&follower.node, &[&owner.node]).await;
    for node in [&owner.node, &follower.node] {
        datanet_net::test_utils::connect_and_wait(&stranger.handle, node.network())
            .await
            .unwrap();
    }
    follower.node.datanet(datanet.id()).await.unwrap();
    let mut follower_events = follower.node.net_events();
    let mut stranger_events = stranger.handle.events();

    let heard = tokio::time::timeout(WAIT, async {
        for attempt in 0u8.. {
            let report = owner
                .node
                .contribute(
                    datanet.id(),
                    vec![attempt; 1000],
                    "application/octet-stream",
                )
                .await
                .unwrap();
            let wait = tokio::time::timeout(Duration::from_secs(2), async {
                loop {
                    if let Ok(NetEvent::Announced(manifest)) = follower_events.recv().await {
                        if manifest.id() == report.contribution {
                            return;
                        }
                    }
                }
            });
            if wait.await.is_ok() {
                return;
            }
        }
    })
    .await;
    assert!(heard.is_ok(), "the follower never heard an announcement");
    while let Ok(event) = stranger_events.try_recv() {
        assert!(
            !matches!(event, NetEvent::Announced(_)),
            "a node that does not know the datanet heard its announcement"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_follower_catches_up_and_with_repair_every_column_keeps_its_replicas_after_a_departure(
) {
    let mut nodes = mesh(3, Duration::from_secs(3600)).await;
    let datanet = open_datanet(&nodes[0].node, "churn").await;
    let report = nodes[0]
        .node
        .contribute(datanet, payload(300_000), "application/octet-stream")
        .await
        .unwrap();
    assert!(report.complete());
    let late = start().await;
    let all: Vec<&Node> = nodes.iter().map(|n| &n.node).collect();
    connect(&late.node, &all).await;
    late.node.datanet(datanet).await.unwrap();
    tokio::time::timeout(WAIT, async {
        while late
            .node
            .store()
            .run(move |s| s.manifest(&report.contribution))
            .await
            .unwrap()
            .is_none()
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("a node that starts following a datanet learns its contributions");

    let gone = nodes.pop().unwrap();
    let gone_id = gone.node.peer_id();
    let mut events: Vec<_> = nodes
        .iter()
        .map(|n| &n.node)
        .chain([&late.node])
        .map(|n| n.net_events())
        .collect();
    gone.node.shutdown().await;
    drop(gone);
    let survivors: Vec<&Node> = nodes.iter().map(|n| &n.node).chain([&late.node]).collect();
    for (node, events) in survivors.iter().zip(&mut events) {
        if node.peers().await.unwrap().contains(&gone_id) {
            wait_for(events, WAIT, |e| {
                matches!(e, NetEvent::PeerDisconnected(p) if p == gone_id).then_some(())
            })
            .await
            .expect("the departure is seen");
        }
    }
    let peers: Vec<PeerId> = survivors.iter().map(|n| n.peer_id()).collect();
    for node in &survivors {
        until_not_member(node, gone_id).await;
        until_members(node, &peers).await;
    }
    for node in &survivors {
        let repaired = node.repair().await.unwrap();
        assert!(repaired.unavailable.is_empty(), "{repaired:?}");
    }
    let root = first_da_root(&nodes[0].node, report.contribution);
    let width = square_width(&nodes[0].node, root) as u16;
    for c in 0..width {
        let holders = survivors
            .iter()
            .filter(|n| n.store().blocking().column(&root, c).unwrap().is_some())
            .count();
        assert!(holders >= 2, "column {c} held by {holders} of 3 survivors");
        for custodian in custodians(&peers, usize::from(width), c, 2) {
            let node = survivors.iter().find(|n| n.peer_id() == custodian).unwrap();
            assert!(
                node.store().blocking().column(&root, c).unwrap().is_some(),
                "column {c} at its custodian among the survivors"
            );
        }
    }
}
