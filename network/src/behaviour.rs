//! The node's libp2p behaviours in two layers: infrastructure (who is out there and alive)
//! and domain (datanet's own gossip and request-response protocols).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use libp2p::swarm::NetworkBehaviour;
use libp2p::{connection_limits, gossipsub, identify, identity, kad, ping, request_response};

use crate::codec::{DatanetCodec, CONNECTION_READ_BUDGET, PROTOCOL, READ_BUDGET};
use crate::{NetStats, Role};

/// The identify protocol version string.
const IDENTIFY_PROTOCOL: &str = "/datanet/id/1";
/// The largest gossip message: a manifest announcement or a fraud proof.
pub(crate) const MAX_GOSSIP_BYTES: usize = 1024 * 1024;
/// Concurrent request streams per connection.
const MAX_STREAMS: usize = 256;

/// How often each connection is pinged.
pub(crate) const PING_INTERVAL: Duration = Duration::from_secs(5);
/// How long a ping may take before the connection counts as dead and is closed.
pub(crate) const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections kept open to any one peer. With each connection's request frames within
/// [`CONNECTION_READ_BUDGET`], one peer's frames being read hold at most a quarter of the
/// node's [`READ_BUDGET`].
const MAX_CONNECTIONS_PER_PEER: u32 = 2;

const _: () =
    assert!(MAX_CONNECTIONS_PER_PEER as usize * CONNECTION_READ_BUDGET <= READ_BUDGET / 4);
/// Connections kept open in all.
const MAX_CONNECTIONS: u32 = 512;
/// Connections being set up at once, each way: enough for a dispersal that dials every
/// custodian of a wide square at once (with 64, a contribution at one node of 100 had dials
/// refused and its columns rebuilt by repair instead).
const MAX_PENDING: u32 = 256;

/// Discovery and liveness.
#[derive(NetworkBehaviour)]
pub(crate) struct Infra {
    /// Caps connections per peer and in total, so no peer can exhaust the node's sockets.
    pub(crate) limits: connection_limits::Behaviour,
    /// Exchanges listen addresses and protocols with each peer.
    pub(crate) identify: identify::Behaviour,
    /// Measures round trips; a connection whose ping fails is closed (see the worker).
    pub(crate) ping: ping::Behaviour,
    /// The DHT: peer discovery and routing.
    pub(crate) kad: kad::Behaviour<kad::store::MemoryStore>,
}

/// datanet's protocols.
#[derive(NetworkBehaviour)]
pub(crate) struct Domain {
    /// Manifest announcements and fraud proofs, validated before forwarding; peers that
    /// send invalid messages lose gossip score and, below the thresholds, are ignored.
    pub(crate) gossip: gossipsub::Behaviour,
    /// Columns, samples and manifests, pushed and fetched.
    pub(crate) requests: request_response::Behaviour<DatanetCodec>,
}

/// Both layers.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    /// Discovery and liveness.
    pub(crate) infra: Infra,
    /// datanet's protocols.
    pub(crate) domain: Domain,
}

impl Behaviour {
    /// The behaviours of a node with `key` in `role`, counting refused frames in `stats` and
    /// failing requests after `request_timeout`. A storage node serves the request protocol
    /// (so identify advertises it) and the DHT; a light node only asks.
    pub(crate) fn new(
        key: &identity::Keypair,
        role: Role,
        stats: Arc<NetStats>,
        request_timeout: Duration,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let peer_id = key.public().to_peer_id();
        let mut kad = kad::Behaviour::new(peer_id, kad::store::MemoryStore::new(peer_id));
        let (mode, support) = match role {
            Role::Storage => (kad::Mode::Server, request_response::ProtocolSupport::Full),
            Role::Light => (
                kad::Mode::Client,
                request_response::ProtocolSupport::Outbound,
            ),
        };
        kad.set_mode(Some(mode));
        let gossip_config = gossipsub::ConfigBuilder::default()
            .validation_mode(gossipsub::ValidationMode::Strict)
            .validate_messages()
            .max_transmit_size(MAX_GOSSIP_BYTES)
            .heartbeat_interval(Duration::from_millis(500))
            .build()?;
        let mut gossip = gossipsub::Behaviour::new(
            gossipsub::MessageAuthenticity::Signed(key.clone()),
            gossip_config,
        )?;
        // Gossipsub scores down the peers of an IP address that has more than ten (a Sybil
        // defence): with nodes on one machine, all on loopback, from 12 nodes each scored all
        // the others negative (out of its mesh), from 15 below the publish and graylist
        // thresholds, and no gossip got through. Loopback peers are on this machine already.
        let score_params = gossipsub::PeerScoreParams {
            ip_colocation_factor_whitelist: [
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ]
            .into(),
            ..Default::default()
        };
        gossip.with_peer_score(score_params, gossipsub::PeerScoreThresholds::default())?;
        let requests = request_response::Behaviour::with_codec(
            DatanetCodec::new(stats),
            [(PROTOCOL, support)],
            request_response::Config::default()
                .with_request_timeout(request_timeout)
                .with_max_concurrent_streams(MAX_STREAMS),
        );
        Ok(Behaviour {
            infra: Infra {
                limits: connection_limits::Behaviour::new(
                    connection_limits::ConnectionLimits::default()
                        .with_max_established_per_peer(Some(MAX_CONNECTIONS_PER_PEER))
                        .with_max_established(Some(MAX_CONNECTIONS))
                        .with_max_pending_incoming(Some(MAX_PENDING))
                        .with_max_pending_outgoing(Some(MAX_PENDING)),
                ),
                identify: identify::Behaviour::new(identify::Config::new(
                    IDENTIFY_PROTOCOL.into(),
                    key.public(),
                )),
                ping: ping::Behaviour::new(
                    ping::Config::new()
                        .with_interval(PING_INTERVAL)
                        .with_timeout(PING_TIMEOUT),
                ),
                kad,
            },
            domain: Domain { gossip, requests },
        })
    }
}

/// How a datanet topic scores the peers that forward on it: only invalid messages count (a
/// message the node rejected costs its forwarder the square of its count, decaying by half
/// each second), so that low-traffic topics penalise nobody for being quiet.
pub(crate) fn topic_score() -> gossipsub::TopicScoreParams {
    gossipsub::TopicScoreParams {
        topic_weight: 1.0,
        time_in_mesh_weight: 0.0,
        first_message_deliveries_weight: 0.0,
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        invalid_message_deliveries_weight: -10.0,
        invalid_message_deliveries_decay: 0.5,
        ..Default::default()
    }
}
