//! Custody membership over real connections: a storage peer that goes away still counts for
//! custody during the grace period, and no longer after it; one that comes back within it is
//! present again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use datanet_net::test_utils::{connect_and_wait, wait_for, TestNode};
use datanet_net::{identity, NetConfig, NetEvent, PeerId, Role};

const WAIT: Duration = Duration::from_secs(30);

fn storage_node(key: identity::Keypair, grace: Duration) -> TestNode {
    let mut config = NetConfig::loopback(key, Role::Storage);
    config.custody_grace = grace;
    TestNode::with_config(config).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_departed_storage_peer_counts_for_custody_until_its_grace_ends() {
    let grace = Duration::from_secs(2);
    let observer = storage_node(identity::Keypair::generate_ed25519(), grace);
    let leaver = storage_node(identity::Keypair::generate_ed25519(), grace);
    let id = leaver.handle.local_peer_id();
    connect_and_wait(&observer.handle, &leaver.handle)
        .await
        .unwrap();
    let membership = observer.handle.membership().await.unwrap();
    assert_eq!((membership.present, membership.away), (vec![id], vec![]));

    let mut events = observer.handle.events();
    leaver.stop().await;
    wait_for(&mut events, WAIT, |e| {
        (e == NetEvent::PeerDisconnected(id)).then_some(())
    })
    .await
    .expect("the observer sees the leaver go");
    let left = tokio::time::Instant::now();
    let membership = observer.handle.membership().await.unwrap();
    assert!(membership.present.is_empty());
    assert_eq!(membership.away, vec![id], "away, still a custodian");

    tokio::time::sleep_until(left + grace + Duration::from_millis(200)).await;
    let membership = observer.handle.membership().await.unwrap();
    assert_eq!(
        (membership.present, membership.away),
        (vec![], vec![]),
        "gone past its grace, no longer a custodian"
    );
    observer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_peer_back_within_its_grace_is_present_and_no_longer_away() {
    let grace = Duration::from_secs(60);
    let observer = storage_node(identity::Keypair::generate_ed25519(), grace);
    let key = identity::Keypair::generate_ed25519();
    let first = storage_node(key.clone(), grace);
    let id = first.handle.local_peer_id();
    connect_and_wait(&observer.handle, &first.handle)
        .await
        .unwrap();
    let mut events = observer.handle.events();
    first.stop().await;
    wait_for(&mut events, WAIT, |e| {
        (e == NetEvent::PeerDisconnected(id)).then_some(())
    })
    .await
    .expect("the observer sees it go");
    assert_eq!(observer.handle.membership().await.unwrap().away, vec![id]);

    let again = storage_node(key, grace);
    connect_and_wait(&observer.handle, &again.handle)
        .await
        .unwrap();
    let membership = observer.handle.membership().await.unwrap();
    assert_eq!((membership.present, membership.away), (vec![id], vec![]));
    again.stop().await;
    observer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_recalled_from_before_a_restart_are_away_only_within_their_grace() {
    let grace = Duration::from_secs(60);
    let node = storage_node(identity::Keypair::generate_ed25519(), grace);
    let neighbour = storage_node(identity::Keypair::generate_ed25519(), grace);
    connect_and_wait(&node.handle, &neighbour.handle)
        .await
        .unwrap();
    let (recent, stale) = (PeerId::random(), PeerId::random());
    let connected = neighbour.handle.local_peer_id();
    node.handle
        .recall_members(vec![
            (recent, Duration::from_secs(5)),
            (stale, Duration::from_secs(61)),
            (connected, Duration::from_secs(5)),
            (node.handle.local_peer_id(), Duration::from_secs(5)),
        ])
        .await
        .unwrap();
    let membership = node.handle.membership().await.unwrap();
    assert_eq!(membership.present, vec![connected]);
    assert_eq!(
        membership.away,
        vec![recent],
        "only the one seen within the grace, not connected, and not itself"
    );
    neighbour.stop().await;
    node.stop().await;
}
