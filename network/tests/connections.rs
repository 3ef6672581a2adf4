//! Bounded connections: nodes that all bootstrap from one keep about their target number of
//! connections (the bootstrap node sheds the rest once they are idle), every node still
//! learns every storage peer from gossiped presences, and a request to a member it is not
//! connected to dials it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use datanet_net::test_utils::{connect_and_wait, TestNode};
use datanet_net::{identity, NetConfig, Role};
use datanet_protocol::wire::{Request, Response};
use datanet_protocol::DatanetId;

const NODES: usize = 12;
const TARGET: usize = 3;
const WAIT: Duration = Duration::from_secs(60);

fn node() -> TestNode {
    let mut config = NetConfig::loopback(identity::Keypair::generate_ed25519(), Role::Storage);
    config.connections = TARGET;
    config.idle = Duration::from_millis(500);
    config.presence_interval = Duration::from_millis(500);
    let mut node = TestNode::with_config(config).unwrap();
    let mut inbound = node.inbound.take().unwrap();
    tokio::spawn(async move {
        while let Some(request) = inbound.recv().await {
            let answer = match request.request {
                Request::ListDatanets { .. } => Response::Datanets(Vec::new()),
                _ => Response::NotFound,
            };
            request.responder.respond(answer).await;
        }
    });
    node
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_stay_bounded_while_every_node_knows_every_member_and_reaches_it() {
    let nodes: Vec<TestNode> = (0..NODES).map(|_| node()).collect();
    for other in &nodes[1..] {
        connect_and_wait(&other.handle, &nodes[0].handle)
            .await
            .unwrap();
    }
    assert_eq!(
        nodes[0].handle.peers().await.unwrap().len(),
        NODES - 1,
        "the bootstrap node starts with everyone"
    );

    let settled = tokio::time::timeout(WAIT, async {
        loop {
            let mut done = true;
            for node in &nodes {
                let connections = node.handle.peers().await.unwrap().len();
                let members = node.handle.members().await.unwrap().len();
                done &= connections <= 2 * TARGET && members == NODES - 1;
            }
            if done {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    let mut counts = Vec::new();
    for node in &nodes {
        counts.push((
            node.handle.peers().await.unwrap().len(),
            node.handle.members().await.unwrap().len(),
        ));
    }
    assert!(
        settled.is_ok(),
        "(connections, members) per node: {counts:?}"
    );

    let asker = &nodes[0].handle;
    let connected = asker.peers().await.unwrap();
    let stranger = nodes
        .iter()
        .map(|n| n.handle.local_peer_id())
        .find(|p| *p != asker.local_peer_id() && !connected.contains(p))
        .expect("a bounded node is not connected to every member");
    let listed = asker
        .list_datanets(stranger, DatanetId::default())
        .await
        .expect("a request to an unconnected member dials it");
    assert!(listed.is_empty());
    assert!(asker.peers().await.unwrap().contains(&stranger));

    for node in nodes {
        node.stop().await;
    }
}
