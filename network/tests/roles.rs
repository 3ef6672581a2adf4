//! Two or three network nodes on loopback, no store: what a light peer is to storage peers,
//! how the typed fetches score a peer that answers wrongly, and gossip verified off the swarm
//! task arriving with its object (what fails verification is checked in `gossip.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use datanet_net::test_utils::{connect_and_wait, wait_for, TestNode};
use datanet_net::{FetchError, NetEvent, PeerScores, Role};
use datanet_protocol::signed::{DatanetBody, Policy};
use datanet_protocol::wire::{Request, Response};
use datanet_protocol::{ContributionId, Datanet, Hash, SecretKey};

const WAIT: Duration = Duration::from_secs(30);

fn datanet(name: &str) -> Datanet {
    let key = SecretKey::generate();
    let body = DatanetBody {
        name: name.to_owned(),
        description: "a roles test".to_owned(),
        owner: key.public(),
        policy: Policy::default(),
        validators: None,
        created_ms: 1,
        nonce: 7,
    };
    Datanet::sign(body, &key).unwrap()
}

/// Answers every request `node` is handed with `answer`, on a task of its own.
fn answer_with(node: &mut TestNode, answer: impl Fn(&Request) -> Response + Send + 'static) {
    let mut inbound = node
        .inbound
        .take()
        .expect("a storage node is handed requests");
    tokio::spawn(async move {
        while let Some(request) = inbound.recv().await {
            let response = answer(&request.request);
            request.responder.respond(response).await;
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_light_peer_is_never_counted_as_a_storage_peer_and_answers_no_requests() {
    let mut storage = TestNode::start(Role::Storage).unwrap();
    let light = TestNode::start(Role::Light).unwrap();
    assert!(
        light.inbound.is_none(),
        "a light node is handed no requests"
    );
    let record = datanet("served");
    let served = record.clone();
    answer_with(&mut storage, move |request| match request {
        Request::GetDatanet(id) if *id == served.id() => {
            Response::Datanet(Box::new(served.clone()))
        }
        _ => Response::NotFound,
    });
    connect_and_wait(&light.handle, &storage.handle)
        .await
        .unwrap();

    let (s, l) = (&storage.handle, &light.handle);
    assert!(s.peers().await.unwrap().contains(&l.local_peer_id()));
    assert!(!s
        .storage_peers()
        .await
        .unwrap()
        .contains(&l.local_peer_id()));
    assert_eq!(l.storage_peers().await.unwrap(), vec![s.local_peer_id()]);

    let fetched = l.get_datanet(s.local_peer_id(), record.id()).await.unwrap();
    assert_eq!(fetched, record);
    let asked_light = s.get_datanet(l.local_peer_id(), record.id()).await;
    assert!(
        matches!(&asked_light, Err(e) if !e.is_peer_fault()),
        "{asked_light:?}"
    );
    assert_eq!(s.scores().get(&l.local_peer_id()), 0);
    storage.stop().await;
    light.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_answer_costs_the_peer_score_and_a_missing_one_does_not() {
    let asker = TestNode::start(Role::Storage).unwrap();
    let mut liar = TestNode::start(Role::Storage).unwrap();
    let (wanted, other) = (datanet("wanted"), datanet("other"));
    let sent = other.clone();
    let missing = datanet("missing").id();
    answer_with(&mut liar, move |request| match request {
        Request::GetDatanet(id) if *id == missing => Response::NotFound,
        Request::GetDatanet(_) => Response::Datanet(Box::new(sent.clone())),
        _ => Response::Stored,
    });
    connect_and_wait(&asker.handle, &liar.handle).await.unwrap();
    let (net, peer) = (&asker.handle, liar.handle.local_peer_id());

    let not_found = net.get_datanet(peer, missing).await;
    assert_eq!(not_found, Err(FetchError::NotFound(peer)));
    assert_eq!(
        net.scores().get(&peer),
        0,
        "not holding a thing is no fault"
    );

    let wrong = net.get_datanet(peer, wanted.id()).await;
    assert!(
        matches!(wrong, Err(FetchError::Invalid { .. })),
        "{wrong:?}"
    );
    assert_eq!(net.scores().get(&peer), PeerScores::INVALID);

    let wrong_kind = net.get_manifest(peer, Default::default()).await;
    assert!(
        matches!(wrong_kind, Err(FetchError::Invalid { .. })),
        "{wrong_kind:?}"
    );
    assert_eq!(net.scores().get(&peer), 2 * PeerScores::INVALID);
    asker.stop().await;
    liar.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_arrives_verified_and_carrying_its_object() {
    let publisher = TestNode::start(Role::Storage).unwrap();
    let listener = TestNode::start(Role::Light).unwrap();
    connect_and_wait(&listener.handle, &publisher.handle)
        .await
        .unwrap();
    let mut events = listener.handle.events();
    let record = datanet("gossiped");
    let heard = tokio::time::timeout(WAIT, async {
        loop {
            publisher.handle.publish_datanet(&record).await.unwrap();
            let got = wait_for(&mut events, Duration::from_secs(1), |e| match e {
                NetEvent::Datanet(d) => Some(*d),
                _ => None,
            })
            .await;
            if let Ok(got) = got {
                return got;
            }
        }
    })
    .await
    .expect("the record arrives once the mesh forms");
    assert_eq!(heard, record);
    publisher.stop().await;
    listener.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contribution_list_out_of_order_is_refused_and_costs_the_peer() {
    let asker = TestNode::start(Role::Storage).unwrap();
    let mut liar = TestNode::start(Role::Storage).unwrap();
    let ids: Vec<ContributionId> = (1..=3u8).map(|i| ContributionId(Hash([i; 32]))).collect();
    let listed = ids.clone();
    answer_with(&mut liar, move |request| match request {
        Request::ListContributions { after, .. } if *after == ContributionId::default() => {
            Response::Contributions(listed.clone())
        }
        _ => Response::Contributions(listed.iter().rev().copied().collect()),
    });
    connect_and_wait(&asker.handle, &liar.handle).await.unwrap();
    let (net, peer) = (&asker.handle, liar.handle.local_peer_id());
    let datanet = datanet("listed").id();
    let start = ContributionId::default();
    let first = net.list_contributions(peer, datanet, start, 3).await;
    assert_eq!(first.unwrap(), ids);
    assert_eq!(net.scores().get(&peer), 0);
    let wrong = net.list_contributions(peer, datanet, ids[0], 3).await;
    assert!(
        matches!(wrong, Err(FetchError::Invalid { .. })),
        "{wrong:?}"
    );
    assert_eq!(net.scores().get(&peer), PeerScores::INVALID);
    let too_many = net.list_contributions(peer, datanet, start, 2).await;
    assert!(
        matches!(too_many, Err(FetchError::Invalid { .. })),
        "more ids than asked for: {too_many:?}"
    );
    asker.stop().await;
    liar.stop().await;
}
