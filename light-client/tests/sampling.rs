//! The light client against real storage nodes on loopback: a contribution whose custodians
//! are up is available to the target confidence; once custodians of more than `k` columns
//! of its chunk are gone it is reported unavailable, never available; the verdicts are kept.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

mod common;

use datanet_light::{LightClient, LightConfig};
use datanet_protocol::chunking::MAX_CHUNK_LEN;
use datanet_protocol::signed::Policy;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_contribution_is_available_while_its_custodians_are_up_and_unavailable_once_they_are_gone(
) {
    let dir = tempfile::tempdir().unwrap();
    let mut nodes = common::mesh(dir.path(), 5).await;
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

    // An application asks the light client's local endpoint.
    let (addr, served) = datanet_light::http::serve(
        light.progress().clone(),
        "127.0.0.1:0".parse().unwrap(),
        light.cancelled(),
    )
    .await
    .unwrap();
    let answer = http_get(addr, &format!("/v1/contributions/{}", report.contribution)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"available\":true"), "{answer}");
    let unknown = http_get(addr, &format!("/v1/contributions/{}", "ab".repeat(32))).await;
    assert!(unknown.starts_with("HTTP/1.1 404"), "{unknown}");
    assert!(unknown.contains("not_checked"), "{unknown}");
    let bad = http_get(addr, "/v1/contributions/xyz").await;
    assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");

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
    served.await.unwrap().unwrap();
    last.shutdown().await;
}

/// The whole answer to `GET path` on `addr`.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: light\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}
