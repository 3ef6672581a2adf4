//! The light client against real storage nodes on loopback: a contribution whose custodians
//! are up is available to the target confidence; once custodians of more than `k` columns
//! of its chunk are gone it is reported unavailable, never available; the verdicts are kept.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use datanet_daemon::{Node, NodeConfig, NodeKeys};
use datanet_light::{LightClient, LightConfig};
use datanet_protocol::chunking::MAX_CHUNK_LEN;
use datanet_protocol::signed::Policy;
use datanet_storage::Store;

/// A storage node on loopback with its store in `home`.
async fn storage_node(home: &std::path::Path) -> Node {
    let store = Store::open(&home.join("store")).unwrap();
    let mut config = NodeConfig::local();
    config.repair_interval = Duration::from_secs(3600);
    config.custody_grace = Duration::ZERO;
    config.presence_interval = Duration::from_millis(200);
    Node::start(config, NodeKeys::generate(), store)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_contribution_is_available_while_its_custodians_are_up_and_unavailable_once_they_are_gone(
) {
    let dir = tempfile::tempdir().unwrap();
    let mut nodes: Vec<Node> = Vec::new();
    for i in 0..5 {
        let node = storage_node(&dir.path().join(format!("n{i}"))).await;
        for other in &nodes {
            datanet_net::test_utils::connect_and_wait(node.network(), other.network())
                .await
                .unwrap();
        }
        nodes.push(node);
    }
    let datanet = nodes[0]
        .create_datanet("sampled", "", Policy::default(), None)
        .await
        .unwrap()
        .id();
    let payload: Vec<u8> = (0..MAX_CHUNK_LEN).map(|i| (i * 7 % 251) as u8).collect();
    let report = nodes[0]
        .contribute(datanet, payload, "application/octet-stream")
        .await
        .unwrap();
    assert!(report.complete());

    // The light client joins through the last node only.
    let last = nodes.pop().unwrap();
    let address = last.listen_addrs().await.unwrap()[0].clone();
    let mut config = LightConfig::new(dir.path().join("light"), vec![address]);
    config.replicas = 2;
    // Peers that just stopped still count as present for a while; each request to one waits
    // this long.
    config.request_timeout = Duration::from_secs(2);
    let light = LightClient::start(config).await.unwrap();
    assert!(light.wait_for_storage_peer(Duration::from_secs(20)).await);
    tokio::time::timeout(Duration::from_secs(20), async {
        while light.network().members().await.unwrap().len() < 5 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the light client learns every storage peer");
    let verdict = light.check(report.contribution).await.unwrap();
    assert!(verdict.available, "{verdict:?}");
    assert!(verdict.good());
    assert!(verdict.confidence >= 0.9999, "{verdict:?}");
    for chunk in &verdict.chunks {
        assert!(chunk.available);
        assert_eq!(chunk.verified, chunk.samples);
        assert!(chunk.samples > 0);
    }
    assert_eq!(
        light.progress().verdict(&report.contribution).unwrap(),
        Some(verdict)
    );

    // Four of five custodians stop: the one left holds fewer than k of the columns.
    for node in nodes {
        node.shutdown().await;
    }
    let verdict = light.check(report.contribution).await.unwrap();
    assert!(!verdict.available, "{verdict:?}");
    assert!(!verdict.good());
    assert_eq!(verdict.confidence, 0.0);
    assert!(verdict.chunks.iter().any(|c| c.verified < c.samples));
    assert_eq!(
        light.progress().verdict(&report.contribution).unwrap(),
        Some(verdict)
    );
    light.shutdown().await;
    last.shutdown().await;
}
