//! The scaffolding the daemon's multi-node tests share: nodes started on loopback with fresh
//! keys in a temporary home, connected with one meaning of "connected" (both ends see each
//! other as storage peers), a datanet to contribute to, and payloads that are not all one byte.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use datanet_daemon::{Node, NodeConfig, NodeEvent, NodeKeys};
use datanet_net::test_utils::wait_for;
use datanet_net::{NetEvent, PeerId};
use datanet_protocol::{ContributionId, DaRoot, DatanetId};
use datanet_storage::Store;
use tempfile::TempDir;
use tokio::sync::broadcast;

pub(crate) mod process;

/// How long a test waits for something that should happen.
pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// A node and the home that holds its store.
pub(crate) struct TestNode {
    /// The node.
    pub(crate) node: Node,
    /// Its home, removed when the test ends.
    pub(crate) home: TempDir,
}

/// A node on loopback whose background repair runs every `repair_every`, with no custody
/// grace (a peer gone is replaced at once, as the tests that stop custodians expect),
/// configured further by `configure`.
pub(crate) async fn start_configured(
    repair_every: Duration,
    configure: impl FnOnce(&mut NodeConfig),
) -> TestNode {
    let home = tempfile::tempdir().unwrap();
    let store = Store::open(&home.path().join("store")).unwrap();
    let mut config = NodeConfig::local();
    config.repair_interval = repair_every;
    config.custody_grace = Duration::ZERO;
    config.presence_interval = Duration::from_millis(200);
    configure(&mut config);
    let node = Node::start(config, NodeKeys::generate(), store)
        .await
        .unwrap();
    TestNode { node, home }
}

/// A node on loopback in `home` with `keys`, configured by `configure` over the same base as
/// [`start_configured`]; for tests that stop a node and start it again with its store.
pub(crate) async fn start_in(
    home: &std::path::Path,
    keys: NodeKeys,
    configure: impl FnOnce(&mut NodeConfig),
) -> Node {
    let store = Store::open(&home.join("store")).unwrap();
    let mut config = NodeConfig::local();
    config.repair_interval = Duration::from_secs(3600);
    config.custody_grace = Duration::ZERO;
    config.presence_interval = Duration::from_millis(200);
    configure(&mut config);
    Node::start(config, keys, store).await.unwrap()
}

/// A node on loopback whose background repair runs every `repair_every`.
pub(crate) async fn start_with(repair_every: Duration) -> TestNode {
    start_configured(repair_every, |_| {}).await
}

/// A node whose background repair stays out of the way of what a test checks.
pub(crate) async fn start() -> TestNode {
    start_with(Duration::from_secs(3600)).await
}

/// Connects `new` to every node in `others` and waits until both ends of each connection
/// see each other as storage peers.
pub(crate) async fn connect(new: &Node, others: &[&Node]) {
    for other in others {
        datanet_net::test_utils::connect_and_wait(new.network(), other.network())
            .await
            .expect("peers connected");
    }
}

/// Waits until `node` counts `peer` among its connected storage peers.
pub(crate) async fn until_storage_peer(node: &Node, peer: PeerId) {
    let mut events = node.net_events();
    if node
        .network()
        .storage_peers()
        .await
        .unwrap()
        .contains(&peer)
    {
        return;
    }
    wait_for(&mut events, WAIT, |event| match event {
        NetEvent::StoragePeer(id) if id == peer => Some(()),
        _ => None,
    })
    .await
    .expect("the peer is known as a storage peer");
}

/// Waits until `node` no longer counts `gone` as a present member: disconnected, and its
/// last presence run out.
pub(crate) async fn until_not_member(node: &Node, gone: PeerId) {
    tokio::time::timeout(WAIT, async {
        while node.members().await.unwrap().contains(&gone) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("a stopped peer stops being a member");
}

/// Waits until `node` counts every one of `peers` other than itself as a present member, so
/// that custody computed there agrees with custody computed over `peers`.
pub(crate) async fn until_members(node: &Node, peers: &[PeerId]) {
    let local = node.peer_id();
    tokio::time::timeout(WAIT, async {
        loop {
            let members = node.members().await.unwrap();
            if peers.iter().all(|p| *p == local || members.contains(p)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("every live peer becomes a member");
}

/// `count` nodes, each connected to all the others.
pub(crate) async fn mesh(count: usize, repair_every: Duration) -> Vec<TestNode> {
    let mut nodes: Vec<TestNode> = Vec::new();
    for _ in 0..count {
        let node = start_with(repair_every).await;
        let others: Vec<&Node> = nodes.iter().map(|n| &n.node).collect();
        connect(&node.node, &others).await;
        nodes.push(node);
    }
    nodes
}

/// A datanet created at `node` with the default policy (any media type, up to 1 GiB).
pub(crate) async fn open_datanet(node: &Node, name: &str) -> DatanetId {
    node.create_datanet(name, "a test datanet", Default::default(), None)
        .await
        .unwrap()
        .id()
}

/// The DA root of the first chunk of contribution `id`, as `node` stores it.
pub(crate) fn first_da_root(node: &Node, id: ContributionId) -> DaRoot {
    node.store()
        .blocking()
        .manifest(&id)
        .unwrap()
        .expect("the contribution is stored")
        .body()
        .chunks[0]
        .da_root
}

/// The width (columns) of the square under `root`, as `node` stores its header.
pub(crate) fn square_width(node: &Node, root: DaRoot) -> usize {
    node.store()
        .blocking()
        .header(&root)
        .unwrap()
        .expect("the square's header is stored")
        .params
        .width()
}

/// A TCP port on loopback that nothing listens on now.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `len` bytes of a fixed pattern that repeats no short period.
pub(crate) fn payload(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u64).wrapping_mul(2_654_435_761) as u8 ^ (i >> 13) as u8)
        .collect()
}

/// Waits up to [`WAIT`] for a node event that `want` picks.
pub(crate) async fn wait_for_node_event<T>(
    events: &mut broadcast::Receiver<NodeEvent>,
    mut want: impl FnMut(NodeEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(WAIT, async {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Some(found) = want(event) {
                        return found;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("the node stopped"),
            }
        }
    })
    .await
    .expect("the event came in time")
}
