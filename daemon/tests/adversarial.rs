//! Peers that lie or send garbage: a raw libp2p client speaking datanet's protocol with
//! corrupted answers, forged pushes, a mis-encoded contribution, oversized and malformed
//! frames. Nothing corrupt is stored
//! or accepted, honest peers still serve, liars lose score, and the node stays up.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io;
use std::time::Duration;

use common::{
    connect, open_datanet, payload, start, start_configured, until_storage_peer,
    wait_for_node_event, TestNode, WAIT,
};
use datanet_daemon::{Node, NodeConfig, NodeError, NodeEvent};
use datanet_net::codec::{DatanetCodec, PROTOCOL};
use datanet_net::{Multiaddr, PeerId};
use datanet_protocol::signed::ChunkEntry;
use datanet_protocol::test_utils::{manifest_body, mis_encoded_square, Fault};
use datanet_protocol::wire::{ColumnHalf, Request, Response, SampleAnswer, MAX_PUSH_COLUMNS};
use datanet_protocol::{CodecId, ExtendedSquare, Manifest, ManifestBody, SecretKey, SHARE_SIZE};
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, StreamExt};
use libp2p::identity::Keypair;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{identify, noise, tcp, yamux, StreamProtocol, Swarm};
use tokio::sync::{mpsc, oneshot};

/// The identify protocol version datanet's nodes speak.
const IDENTIFY_PROTOCOL: &str = "/datanet/id/1";

/// A node whose background repair stays out of the way and that needs one acknowledgement
/// per column.
async fn start_one_ack() -> TestNode {
    start_configured(Duration::from_secs(3600), |config: &mut NodeConfig| {
        config.min_acks = 1;
    })
    .await
}

/// The TCP address `node` listens on.
async fn tcp_addr(node: &Node) -> Multiaddr {
    node.listen_addrs()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.to_string().contains("/tcp/"))
        .unwrap()
}

fn raw_swarm<B: NetworkBehaviour>(behaviour: impl FnOnce(&Keypair) -> B) -> Swarm<B> {
    libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|key| behaviour(key))
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build()
}

/// What a [`RawPeer`] runs: identify, so nodes take it for a storage peer, and datanet's
/// request protocol.
#[derive(NetworkBehaviour)]
struct RawBehaviour {
    identify: identify::Behaviour,
    requests: request_response::Behaviour<DatanetCodec>,
}

/// A peer speaking datanet's protocol that answers every request with `answer` and sends
/// requests on command.
struct RawPeer {
    id: PeerId,
    outbound: mpsc::Sender<(PeerId, Request, oneshot::Sender<Option<Response>>)>,
}

impl RawPeer {
    fn spawn(
        dial: Vec<Multiaddr>,
        answer: impl Fn(Request) -> Response + Send + 'static,
    ) -> RawPeer {
        let mut swarm = raw_swarm(|key| RawBehaviour {
            identify: identify::Behaviour::new(identify::Config::new(
                IDENTIFY_PROTOCOL.into(),
                key.public(),
            )),
            requests: request_response::Behaviour::new(
                [(PROTOCOL, ProtocolSupport::Full)],
                request_response::Config::default(),
            ),
        });
        let id = *swarm.local_peer_id();
        for address in dial {
            swarm.dial(address).unwrap();
        }
        let (outbound, mut commands) =
            mpsc::channel::<(PeerId, Request, oneshot::Sender<Option<Response>>)>(16);
        tokio::spawn(async move {
            let mut pending = std::collections::HashMap::new();
            loop {
                tokio::select! {
                    Some((peer, request, reply)) = commands.recv() => {
                        let id = swarm.behaviour_mut().requests.send_request(&peer, request);
                        pending.insert(id, reply);
                    }
                    event = swarm.select_next_some() => match event {
                        SwarmEvent::Behaviour(RawBehaviourEvent::Requests(request_response::Event::Message { message, .. })) => match message {
                            request_response::Message::Request { request, channel, .. } => {
                                let _ = swarm.behaviour_mut().requests.send_response(channel, answer(request));
                            }
                            request_response::Message::Response { request_id, response } => {
                                if let Some(reply) = pending.remove(&request_id) {
                                    let _ = reply.send(Some(response));
                                }
                            }
                        },
                        SwarmEvent::Behaviour(RawBehaviourEvent::Requests(request_response::Event::OutboundFailure { request_id, .. })) => {
                            if let Some(reply) = pending.remove(&request_id) {
                                let _ = reply.send(None);
                            }
                        }
                        _ => {}
                    },
                }
            }
        });
        RawPeer { id, outbound }
    }

    async fn request(&self, peer: PeerId, request: Request) -> Option<Response> {
        let (tx, rx) = oneshot::channel();
        self.outbound.send((peer, request, tx)).await.unwrap();
        tokio::time::timeout(WAIT, rx).await.unwrap().unwrap()
    }
}

/// Three honest nodes, connected, after the first contributed `len` bytes with every column
/// stored by enough custodians.
struct Honest {
    nodes: Vec<TestNode>,
    data: Vec<u8>,
    report: datanet_daemon::DispersalReport,
    square: ExtendedSquare,
}

impl Honest {
    async fn contributing(len: usize) -> Honest {
        let mut nodes: Vec<TestNode> = Vec::new();
        for _ in 0..3 {
            let node = start().await;
            let others: Vec<&Node> = nodes.iter().map(|n| &n.node).collect();
            connect(&node.node, &others).await;
            nodes.push(node);
        }
        let data = payload(len);
        let datanet = open_datanet(&nodes[0].node, "adversarial").await;
        let report = nodes[0]
            .node
            .contribute(datanet, data.clone(), "application/octet-stream")
            .await
            .unwrap();
        assert!(report.complete(), "{:?}", report.short);
        let square = ExtendedSquare::encode(&data[..], CodecId::RsLeopard).unwrap();
        Honest {
            nodes,
            data,
            report,
            square,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_peer_is_outscored_and_nothing_it_pushes_is_stored() {
    let honest = Honest::contributing(1_000_000).await;
    let (a, b, c) = (
        &honest.nodes[0].node,
        &honest.nodes[1].node,
        &honest.nodes[2].node,
    );
    let (data, report, square) = (&honest.data, &honest.report, &honest.square);
    let root = square.da_root();

    let reader = start().await;
    let getter = start().await;
    let (reader, getter) = (&reader.node, &getter.node);
    connect(reader, &[a, b, c]).await;
    connect(getter, &[a, b, c]).await;
    let liar_square = square.clone();
    let column_square = square.clone();
    let corrupted = move |index: u16, at: usize, mask: u8| {
        let mut line = column_square.column(index.into()).unwrap();
        line.shares[at] ^= mask;
        line
    };
    let liar = RawPeer::spawn(
        vec![
            tcp_addr(reader).await,
            tcp_addr(getter).await,
            tcp_addr(c).await,
        ],
        move |request| match request {
            Request::GetColumn { index, .. } => Response::Column(corrupted(index, 7, 0x80)),
            Request::GetColumns { indices, .. } => Response::Columns(
                indices
                    .into_iter()
                    .map(|index| corrupted(index, 9, 0x04))
                    .collect(),
            ),
            Request::GetColumnHalves { indices, .. } => Response::ColumnHalves(
                indices
                    .into_iter()
                    .map(|index| {
                        let line = corrupted(index, 3, 0x10);
                        (index, line.top_half().to_vec().into())
                    })
                    .collect(),
            ),
            Request::GetSamples { coordinates, .. } => Response::Samples(
                coordinates
                    .into_iter()
                    .map(|(row, col)| {
                        let mut share = liar_square.share(row.into(), col.into()).unwrap().to_vec();
                        share[0] ^= 1;
                        let proof = liar_square
                            .share_proof_via(datanet_protocol::Axis::Col, row.into(), col.into())
                            .unwrap();
                        SampleAnswer::Found { share, proof }
                    })
                    .collect(),
            ),
            _ => Response::NotFound,
        },
    );
    until_storage_peer(reader, liar.id).await;
    until_storage_peer(getter, liar.id).await;

    let samples = reader.sample(report.contribution, 64).await.unwrap();
    assert!(samples[0].available(), "{:?}", samples[0]);
    assert!(samples[0].confidence > 0.999);
    assert!(
        reader.peer_score(&liar.id) < 0,
        "sampling scored the liar down: {}",
        reader.peer_score(&liar.id)
    );
    let fetched = getter.get(report.contribution).await.unwrap();
    assert!(fetched == *data);
    assert!(
        getter.peer_score(&liar.id) < 0,
        "reading through the liar fell back to proven columns and scored it down: {}",
        getter.peer_score(&liar.id)
    );
    for honest in [a.peer_id(), b.peer_id(), c.peer_id()] {
        assert!(reader.peer_score(&honest) >= 0);
        assert!(getter.peer_score(&honest) >= 0);
    }

    let manifest = a
        .store()
        .blocking()
        .manifest(&report.contribution)
        .unwrap()
        .unwrap();
    let pushed = liar
        .request(
            c.peer_id(),
            Request::PutManifest {
                manifest: Box::new(manifest),
                headers: vec![square.header()],
            },
        )
        .await;
    assert_eq!(pushed, Some(Response::Stored));
    let held = c.store().blocking().column_indices(&root).unwrap();
    let absent = (0..square.params().width() as u16)
        .find(|i| !held.contains(i))
        .unwrap();
    let present = held[0];
    for index in [absent, present] {
        let line = square.column(index.into()).unwrap();
        let mut half = line.top_half().to_vec();
        half[3] ^= 0xff;
        let answer = liar
            .request(
                c.peer_id(),
                Request::PutColumns {
                    da_root: root,
                    columns: vec![ColumnHalf {
                        index,
                        top_half: half.into(),
                        axis_path: line.axis_path.clone(),
                    }],
                },
            )
            .await;
        assert!(
            matches!(answer, Some(Response::Refused(_))),
            "got {answer:?}"
        );
    }
    assert_eq!(c.store().blocking().column(&root, absent).unwrap(), None);
    assert_eq!(
        c.store().blocking().column(&root, present).unwrap(),
        Some(square.column(present.into()).unwrap())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_sends_wrong_halves_but_right_columns_loses_score() {
    let honest = Honest::contributing(600_000).await;
    let square = honest.square.clone();
    let reader = start().await;
    let reader = &reader.node;
    let all: Vec<&Node> = honest.nodes.iter().map(|n| &n.node).collect();
    connect(reader, &all).await;
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&asked);
    let liar = RawPeer::spawn(vec![tcp_addr(reader).await], move |request| match request {
        Request::GetColumnHalves { indices, .. } => {
            counted.fetch_add(indices.len(), std::sync::atomic::Ordering::Relaxed);
            Response::ColumnHalves(
                indices
                    .into_iter()
                    .map(|index| {
                        let mut half = square.column(index.into()).unwrap().top_half().to_vec();
                        half[SHARE_SIZE + 5] ^= 0x20;
                        (index, half.into())
                    })
                    .collect(),
            )
        }
        Request::GetColumns { indices, .. } => Response::Columns(
            indices
                .into_iter()
                .map(|index| square.column(index.into()).unwrap())
                .collect(),
        ),
        _ => Response::NotFound,
    });
    until_storage_peer(reader, liar.id).await;

    let fetched = reader.get(honest.report.contribution).await.unwrap();
    assert!(fetched == honest.data);
    assert!(
        asked.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "the liar was asked for halves"
    );
    assert!(
        reader.peer_score(&liar.id) < 0,
        "its halves, checked against the square proven from whole columns, scored it down: {}",
        reader.peer_score(&liar.id)
    );
    for node in &all {
        assert!(reader.peer_score(&node.peer_id()) > 0);
    }
}

/// Sends raw frames: the request is written as given, the response read to its end.
#[derive(Debug, Clone, Default)]
struct RawFrames;

impl request_response::Codec for RawFrames {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        io.take(1 << 20).read_to_end(&mut buf).await?;
        Ok(buf)
    }

    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        p: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Vec<u8>> {
        self.read_request(p, io).await
    }

    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Vec<u8>,
    ) -> io::Result<()> {
        io.write_all(&req).await?;
        io.close().await
    }

    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        p: &StreamProtocol,
        io: &mut T,
        res: Vec<u8>,
    ) -> io::Result<()> {
        self.write_request(p, io, res).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_malformed_frames_are_rejected_and_the_node_stays_up() {
    let node = start_one_ack().await;
    let node = &node.node;
    let data = payload(200_000);
    let datanet = open_datanet(node, "malformed").await;
    let report = node
        .contribute(datanet, data.clone(), "text/plain")
        .await
        .unwrap();

    let behaviour: request_response::Behaviour<RawFrames> = request_response::Behaviour::new(
        [(PROTOCOL, ProtocolSupport::Outbound)],
        request_response::Config::default().with_request_timeout(Duration::from_secs(5)),
    );
    let mut raw = raw_swarm(|_| behaviour);
    raw.dial(tcp_addr(node).await).unwrap();
    let mut huge = u32::MAX.to_be_bytes().to_vec();
    huge.extend_from_slice(&[0u8; 64]);
    let mut garbage = 1000u32.to_be_bytes().to_vec();
    garbage.extend((0..1000u32).map(|i| (i * 7) as u8));
    let truncated = 50u32.to_be_bytes().to_vec();
    let frames = [huge, garbage, truncated, vec![0xde, 0xad]];
    let mut outstanding = 0;
    let target = node.peer_id();
    tokio::time::timeout(WAIT, async {
        let mut sent = false;
        loop {
            match raw.select_next_some().await {
                SwarmEvent::ConnectionEstablished { .. } if !sent => {
                    for frame in &frames {
                        raw.behaviour_mut().send_request(&target, frame.clone());
                        outstanding += 1;
                    }
                    sent = true;
                }
                SwarmEvent::Behaviour(request_response::Event::Message { .. })
                | SwarmEvent::Behaviour(request_response::Event::OutboundFailure { .. }) => {
                    outstanding -= 1;
                    if outstanding == 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
    })
    .await
    .expect("every raw frame was answered or failed");
    let invalid = || {
        node.net_stats()
            .invalid_messages
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    tokio::time::timeout(WAIT, async {
        while invalid() < 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("only {} malformed frames were counted", invalid()));

    let reader = start_one_ack().await;
    let reader = &reader.node;
    connect(reader, &[node]).await;
    let fetched = reader.get(report.contribution).await.unwrap();
    assert!(fetched == data, "the node no longer serves correctly");
}

/// Gives `node`, from `cheater`, custody of every column of the one-square contribution
/// `manifest` whose square is `square` (its manifest first), as a dispersal would; every
/// put is taken, as nothing checks the square as a whole on the way in.
async fn push_whole_square(
    cheater: &RawPeer,
    node: &Node,
    manifest: &Manifest,
    square: &ExtendedSquare,
) {
    until_storage_peer(node, cheater.id).await;
    let put = Request::PutManifest {
        manifest: Box::new(manifest.clone()),
        headers: vec![square.header()],
    };
    assert_eq!(
        cheater.request(node.peer_id(), put).await,
        Some(Response::Stored)
    );
    let columns: Vec<ColumnHalf> = (0..square.params().width() as u16)
        .map(|index| {
            let line = square.column(index.into()).unwrap();
            ColumnHalf {
                index,
                top_half: line.top_half().to_vec().into(),
                axis_path: line.axis_path,
            }
        })
        .collect();
    for batch in columns.chunks(MAX_PUSH_COLUMNS) {
        let put = Request::PutColumns {
            da_root: square.da_root(),
            columns: batch.to_vec(),
        };
        assert_eq!(
            cheater.request(node.peer_id(), put).await,
            Some(Response::Stored)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mis_encoded_contribution_is_proven_and_every_honest_node_marks_it_invalid() {
    let (a, b, c) = (
        start_one_ack().await,
        start_one_ack().await,
        start_one_ack().await,
    );
    let (a, b, c) = (&a.node, &b.node, &c.node);
    connect(b, &[a]).await;
    connect(c, &[a, b]).await;

    let good = ExtendedSquare::encode(&payload(200_000), CodecId::RsLeopard).unwrap();
    let bad = mis_encoded_square(&good, Fault::RowsOnly { row: 1, col: 2 });
    let root = bad.da_root();
    for axis_index in 0..bad.params().width() {
        assert!(bad.column(axis_index).unwrap().is_codeword().unwrap());
    }
    let chunk = bad.chunk_bytes();
    let cheat = SecretKey::from_seed([77; 32]);
    let manifest = Manifest::sign(
        ManifestBody {
            nonce: 1,
            ..manifest_body(cheat.public(), &chunk, vec![ChunkEntry::new(&chunk, &bad)])
        },
        &cheat,
    )
    .unwrap();
    let cheater = RawPeer::spawn(
        vec![tcp_addr(a).await, tcp_addr(b).await, tcp_addr(c).await],
        |_| Response::NotFound,
    );
    for node in [a, b, c] {
        push_whole_square(&cheater, node, &manifest, &bad).await;
    }

    let mut b_events = b.events();
    let mut c_events = c.events();
    let result = a.get(manifest.id()).await;
    assert!(
        matches!(result, Err(NodeError::BadEncoding(r)) if r == root),
        "got {:?}",
        result.map(|v| v.len())
    );
    assert!(a.store().blocking().is_invalid(&root).unwrap());
    for events in [&mut b_events, &mut c_events] {
        wait_for_node_event(events, |event| match event {
            NodeEvent::ChunkInvalid(r) if r == root => Some(()),
            _ => None,
        })
        .await;
    }
    for node in [b, c] {
        let proof = node
            .store()
            .blocking()
            .invalid_proof(&root)
            .unwrap()
            .unwrap();
        proof.verify(&root).unwrap();
    }
    let refused = cheater
        .request(
            b.peer_id(),
            Request::GetColumn {
                da_root: root,
                index: 0,
            },
        )
        .await;
    assert!(
        matches!(refused, Some(Response::Refused(_))),
        "got {refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_validator_accepting_a_mis_encoded_contribution_is_outvoted_and_the_fraud_proof_rejects_it_everywhere(
) {
    use datanet_daemon::quorum::lifecycle::Stage;
    use datanet_daemon::NodeKeys;
    use datanet_protocol::quorum_message::QuorumMessage;
    use datanet_protocol::signed::{Policy, ReasonCode, Threshold, Validator, Verdict};
    use datanet_protocol::{Attestation, AttestationBody, ValidatorSet};

    let validator_keys: Vec<SecretKey> = (0..4).map(|_| SecretKey::generate()).collect();
    let homes: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut honest = Vec::new();
    for (home, key) in homes.iter().zip(&validator_keys) {
        let keys = NodeKeys {
            validator: Some(SecretKey::from_seed(key.seed())),
            ..NodeKeys::generate()
        };
        let node = common::start_in(home.path(), keys, |c| c.min_acks = 1).await;
        let others: Vec<&Node> = honest.iter().collect();
        connect(&node, &others).await;
        honest.push(node);
    }
    let relay = start().await;
    connect(&relay.node, &honest.iter().collect::<Vec<_>>()).await;
    let set = ValidatorSet::new(
        validator_keys
            .iter()
            .map(|k| Validator {
                key: k.public(),
                stake: 10,
            })
            .collect(),
        Threshold::TWO_THIRDS,
    )
    .unwrap();
    let datanet = honest[0]
        .create_datanet("judged", "", Policy::default(), Some(set))
        .await
        .unwrap()
        .id();
    for node in honest.iter().chain([&relay.node]) {
        tokio::time::timeout(WAIT, async {
            while node.datanet(datanet).await.is_err() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap();
    }

    let good = ExtendedSquare::encode(&payload(200_000), CodecId::RsLeopard).unwrap();
    let bad = mis_encoded_square(&good, Fault::RowsOnly { row: 1, col: 2 });
    let chunk = bad.chunk_bytes();
    let cheat = SecretKey::from_seed([78; 32]);
    let manifest = Manifest::sign(
        ManifestBody {
            datanet,
            nonce: 2,
            ..manifest_body(cheat.public(), &chunk, vec![ChunkEntry::new(&chunk, &bad)])
        },
        &cheat,
    )
    .unwrap();
    let id = manifest.id();
    let mut addresses = Vec::new();
    for node in &honest {
        addresses.push(tcp_addr(node).await);
    }
    let cheater = RawPeer::spawn(addresses, |_| Response::NotFound);
    for node in &honest {
        push_whole_square(&cheater, node, &manifest, &bad).await;
    }
    let liar = &validator_keys[3];
    let lie = Attestation::sign(AttestationBody::accept(id, liar.public()), liar).unwrap();
    let mut relayed = false;
    tokio::time::timeout(WAIT * 2, async {
        loop {
            if !relayed && relay.node.manifest(id).await.is_ok() {
                relay
                    .node
                    .network()
                    .publish_quorum(datanet, &QuorumMessage::Attestation(lie.clone()))
                    .await
                    .unwrap();
                relayed = true;
            }
            let mut done = true;
            for node in &honest {
                let l = node.lifecycle(id).await.unwrap();
                done &= l.is_some_and(|l| {
                    let rejects = l
                        .attestations
                        .iter()
                        .filter(|a| a.body().verdict == Verdict::Reject)
                        .count();
                    l.stage == Stage::Rejected && l.condemned && rejects >= 2
                });
            }
            if done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("the fraud proof condemns it and every node hears two honest rejections");
    for node in &honest {
        let l = node.lifecycle(id).await.unwrap().unwrap();
        assert!(l.certificate.is_none(), "no certificate forms");
        assert!(l
            .attestations
            .iter()
            .filter(|a| a.body().verdict == Verdict::Reject)
            .all(|a| a.body().reason == ReasonCode::BadEncoding));
    }
    relay.node.shutdown().await;
    for node in honest {
        node.shutdown().await;
    }
}
