//! Storage nodes on loopback for the light client's tests and examples, and what the examples
//! report with.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use datanet_daemon::{Node, NodeConfig, NodeKeys};
use datanet_storage::Store;

/// A storage node on loopback with its store under `home`, gossiping its presence often.
pub(crate) async fn storage_node(home: &Path) -> Node {
    start(home, |_| {}).await
}

/// A storage node that is its network's only one: every column's one custodian.
pub(crate) async fn lone_storage_node(home: &Path) -> Node {
    start(home, |c| {
        c.replicas = 1;
        c.min_acks = 1;
    })
    .await
}

async fn start(home: &Path, configure: impl FnOnce(&mut NodeConfig)) -> Node {
    let store = Store::open(&home.join("store")).unwrap();
    let mut config = NodeConfig::local();
    config.repair_interval = Duration::from_secs(3600);
    config.custody_grace = Duration::ZERO;
    config.presence_interval = Duration::from_millis(200);
    configure(&mut config);
    Node::start(config, NodeKeys::generate(), store)
        .await
        .unwrap()
}

/// `count` storage nodes under `dir`, each connected to every other.
pub(crate) async fn mesh(dir: &Path, count: usize) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    for i in 0..count {
        let node = storage_node(&dir.join(format!("n{i}"))).await;
        for other in &nodes {
            datanet_net::test_utils::connect_and_wait(node.network(), other.network())
                .await
                .unwrap();
        }
        nodes.push(node);
    }
    nodes
}

/// The `p` quantile (0 to 1) of `sorted`, nearest rank.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
