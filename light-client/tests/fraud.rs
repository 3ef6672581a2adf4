//! Fraud proofs reach a light client by gossip: one that proves its square badly encoded
//! marks the square invalid in the light client's progress, and with it every contribution
//! already checked that uses it; one that does not verify against the root it names is
//! dropped by the network and marks nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use datanet_light::{ChunkVerdict, ContributionVerdict, LightClient, LightConfig};
use datanet_protocol::square::SquareError;
use datanet_protocol::test_utils::{mis_encoded_square, Fault};
use datanet_protocol::wire::FraudNotice;
use datanet_protocol::{CodecId, ContributionId, ExtendedSquare, Hash, Line};

/// A badly encoded square's root and the proof of it, and a good square's root.
fn fraud() -> (FraudNotice, datanet_protocol::DaRoot) {
    let chunk: Vec<u8> = (0..100_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let good = ExtendedSquare::encode(&chunk, CodecId::RsLeopard).unwrap();
    let bad = mis_encoded_square(&good, Fault::Share { row: 1, col: 2 });
    let header = bad.header();
    let columns: Vec<Line> = (0..bad.params().width())
        .filter(|c| *c != 2)
        .take(bad.params().k())
        .map(|c| bad.column(c).unwrap())
        .collect();
    let SquareError::BadEncoding(proof) =
        ExtendedSquare::reconstruct(&header, &columns).unwrap_err()
    else {
        panic!("a mis-encoded square gives a fraud proof");
    };
    (
        FraudNotice {
            da_root: bad.da_root(),
            proof: *proof,
        },
        good.da_root(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_gossiped_fraud_proof_marks_its_square_invalid_and_a_forged_one_marks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = common::mesh(dir.path(), 3).await;
    let address = nodes[0].listen_addrs().await.unwrap()[0].clone();
    let light = LightClient::start(LightConfig::new(dir.path().join("light"), vec![address]))
        .await
        .unwrap();
    assert!(light.wait_for_storage_peer(Duration::from_secs(20)).await);

    let (notice, good_root) = fraud();
    let forged = FraudNotice {
        da_root: good_root,
        proof: notice.proof.clone(),
    };
    let bad_root = notice.da_root;
    // Verdicts recorded before the proof arrives: one on a contribution using the bad square,
    // one on a contribution using the good one.
    let verdict = |contribution: u8, root: datanet_protocol::DaRoot| ContributionVerdict {
        contribution: hex::encode([contribution; 32]),
        datanet: hex::encode([0; 32]),
        payload_len: 100_000,
        chunks: vec![ChunkVerdict {
            da_root: root.to_string(),
            k: 14,
            samples: 28,
            verified: 28,
            available: true,
            confidence: 0.9999,
        }],
        available: true,
        confidence: 0.9999,
        invalid: Vec::new(),
    };
    let (condemned, untouched) = (ContributionId(Hash([1; 32])), ContributionId(Hash([2; 32])));
    light
        .progress()
        .put_verdict(&condemned, &verdict(1, bad_root))
        .unwrap();
    light
        .progress()
        .put_verdict(&untouched, &verdict(2, good_root))
        .unwrap();
    tokio::time::timeout(Duration::from_secs(30), async {
        let condemned_here = || {
            light
                .progress()
                .verdict(&condemned)
                .unwrap()
                .is_some_and(|v| !v.invalid.is_empty())
        };
        while !condemned_here() {
            nodes[1].network().publish_fraud(&forged).await.unwrap();
            nodes[1].network().publish_fraud(&notice).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
    .await
    .expect("the fraud proof reaches the light client");
    assert!(light.progress().is_invalid(&bad_root));
    assert!(
        !light.progress().is_invalid(&good_root),
        "a proof that does not verify against the root it names marks nothing"
    );
    let after = light.progress().verdict(&condemned).unwrap().unwrap();
    assert_eq!(after.invalid, vec![bad_root.to_string()]);
    assert!(!after.good(), "available, but proven badly encoded");
    let other = light.progress().verdict(&untouched).unwrap().unwrap();
    assert!(other.invalid.is_empty() && other.good());
    light.shutdown().await;
    for node in nodes {
        node.shutdown().await;
    }
}
