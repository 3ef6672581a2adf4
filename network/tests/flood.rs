//! A peer that floods a storage node with request frames that declare the largest size and
//! then trickle (a few bytes each, then nothing), over both the connections it may keep,
//! holds no more than its share of the node's read budget: another peer's requests are still
//! answered promptly all the while.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io;
use std::time::{Duration, Instant};

use datanet_net::codec::PROTOCOL;
use datanet_net::test_utils::{connect_and_wait, TestNode};
use datanet_net::Role;
use datanet_protocol::signed::{DatanetBody, Policy};
use datanet_protocol::wire::{Request, Response, MAX_REQUEST_BYTES};
use datanet_protocol::{Datanet, SecretKey};
use futures::{AsyncRead, AsyncWrite, AsyncWriteExt, StreamExt};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::SwarmEvent;
use libp2p::{noise, tcp, yamux, Multiaddr, PeerId, StreamProtocol};
use tokio::sync::oneshot;

/// Frames the flooder starts on each of its connections: together far more than the node's
/// whole read budget.
const FRAMES_PER_CONNECTION: usize = 64;
/// How long the other peer's requests may take while the flood goes on.
const PROMPT: Duration = Duration::from_secs(2);

/// The flooder's side of the protocol: a request is a frame that declares
/// [`MAX_REQUEST_BYTES`], sends one KiB of it and never the rest.
#[derive(Debug, Clone, Default)]
struct Trickle;

impl request_response::Codec for Trickle {
    type Protocol = StreamProtocol;
    type Request = ();
    type Response = ();

    async fn read_request<T>(&mut self, _: &StreamProtocol, _: &mut T) -> io::Result<()>
    where
        T: AsyncRead + Unpin + Send,
    {
        Err(io::Error::other("the flooder only asks"))
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, _: &mut T) -> io::Result<()>
    where
        T: AsyncRead + Unpin + Send,
    {
        futures::future::pending().await
    }

    async fn write_request<T>(&mut self, _: &StreamProtocol, io: &mut T, _: ()) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&(MAX_REQUEST_BYTES as u32).to_be_bytes())
            .await?;
        io.write_all(&[0; 1024]).await?;
        io.flush().await?;
        futures::future::pending().await
    }

    async fn write_response<T>(&mut self, _: &StreamProtocol, _: &mut T, _: ()) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        Ok(())
    }
}

/// Opens two connections to `victim` at `address`, starts [`FRAMES_PER_CONNECTION`]
/// trickling frames on each, says so on `flooding`, and keeps them open until aborted.
async fn flood(victim: PeerId, address: Multiaddr, flooding: oneshot::Sender<()>) {
    let mut swarm = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| {
            request_response::Behaviour::with_codec(
                Trickle,
                [(PROTOCOL, ProtocolSupport::Outbound)],
                request_response::Config::default()
                    .with_request_timeout(Duration::from_secs(300))
                    .with_max_concurrent_streams(4 * FRAMES_PER_CONNECTION),
            )
        })
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(300)))
        .build();
    for _ in 0..2 {
        let dial = DialOpts::peer_id(victim)
            .addresses(vec![address.clone()])
            .condition(PeerCondition::Always)
            .build();
        swarm.dial(dial).unwrap();
    }
    let mut connections = 0;
    while connections < 2 {
        match swarm.select_next_some().await {
            SwarmEvent::ConnectionEstablished { .. } => connections += 1,
            SwarmEvent::OutgoingConnectionError { error, .. } => panic!("flooder: {error}"),
            _ => {}
        }
    }
    for _ in 0..2 * FRAMES_PER_CONNECTION {
        swarm.behaviour_mut().send_request(&victim, ());
    }
    let _ = flooding.send(());
    loop {
        swarm.select_next_some().await;
    }
}

fn datanet() -> Datanet {
    let key = SecretKey::generate();
    let body = DatanetBody {
        name: "flooded".to_owned(),
        description: "served while a peer floods".to_owned(),
        owner: key.public(),
        policy: Policy::default(),
        validators: None,
        created_ms: 1,
        nonce: 1,
    };
    Datanet::sign(body, &key).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_flooding_trickled_maximal_frames_cannot_starve_another_peers_requests() {
    let mut victim = TestNode::start(Role::Storage).unwrap();
    let record = datanet();
    let served = record.clone();
    let mut inbound = victim.inbound.take().unwrap();
    tokio::spawn(async move {
        while let Some(request) = inbound.recv().await {
            let response = match &request.request {
                Request::GetDatanet(id) if *id == served.id() => {
                    Response::Datanet(Box::new(served.clone()))
                }
                _ => Response::NotFound,
            };
            request.responder.respond(response).await;
        }
    });
    let other = TestNode::start(Role::Light).unwrap();
    connect_and_wait(&other.handle, &victim.handle)
        .await
        .unwrap();

    let victim_id = victim.handle.local_peer_id();
    let address = victim
        .handle
        .listen_addrs()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.to_string().contains("/tcp/"))
        .unwrap();
    let (flooding, started) = oneshot::channel();
    let flooder = tokio::spawn(flood(victim_id, address, flooding));
    tokio::time::timeout(Duration::from_secs(30), started)
        .await
        .expect("the flood starts")
        .unwrap();

    let mut ticks = tokio::time::interval(Duration::from_millis(300));
    for round in 0..10 {
        ticks.tick().await;
        let asked = Instant::now();
        let answer =
            tokio::time::timeout(PROMPT, other.handle.get_datanet(victim_id, record.id())).await;
        let answer = answer.unwrap_or_else(|_| {
            panic!("round {round}: no answer within {PROMPT:?} while the flood goes on")
        });
        assert_eq!(answer.unwrap(), record, "round {round}");
        eprintln!("round {round}: answered in {:?}", asked.elapsed());
    }
    flooder.abort();
    other.stop().await;
    victim.stop().await;
}
