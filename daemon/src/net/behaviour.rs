//! The node's libp2p behaviours in two layers: infrastructure (who is out there and alive)
//! and domain (datanet's own gossip and request-response protocols).

use std::sync::Arc;
use std::time::Duration;

use libp2p::swarm::NetworkBehaviour;
use libp2p::{gossipsub, identify, identity, kad, ping, request_response};

use super::codec::{DatanetCodec, PROTOCOL};
use super::NetStats;

/// The identify protocol version string.
const IDENTIFY_PROTOCOL: &str = "/datanet/id/1";
/// The largest gossip message: a manifest announcement or a fraud proof.
pub(crate) const MAX_GOSSIP_BYTES: usize = 1024 * 1024;
/// How long a request may take before it fails.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Concurrent request streams per connection.
const MAX_STREAMS: usize = 256;

/// Discovery and liveness.
#[derive(NetworkBehaviour)]
pub(crate) struct Infra {
    /// Exchanges listen addresses and protocols with each peer.
    pub(crate) identify: identify::Behaviour,
    /// Keeps connections alive and measures round trips.
    pub(crate) ping: ping::Behaviour,
    /// The DHT: peer discovery and routing.
    pub(crate) kad: kad::Behaviour<kad::store::MemoryStore>,
}

/// datanet's protocols.
#[derive(NetworkBehaviour)]
pub(crate) struct Domain {
    /// Manifest announcements and fraud proofs, validated before forwarding.
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
    /// The behaviours of a node with `key`.
    pub(crate) fn new(
        key: &identity::Keypair,
        stats: Arc<NetStats>,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let peer_id = key.public().to_peer_id();
        let mut kad = kad::Behaviour::new(peer_id, kad::store::MemoryStore::new(peer_id));
        kad.set_mode(Some(kad::Mode::Server));
        let gossip_config = gossipsub::ConfigBuilder::default()
            .validation_mode(gossipsub::ValidationMode::Strict)
            .validate_messages()
            .max_transmit_size(MAX_GOSSIP_BYTES)
            .heartbeat_interval(Duration::from_millis(500))
            .build()?;
        let gossip = gossipsub::Behaviour::new(
            gossipsub::MessageAuthenticity::Signed(key.clone()),
            gossip_config,
        )?;
        let requests = request_response::Behaviour::with_codec(
            DatanetCodec::new(stats),
            [(PROTOCOL, request_response::ProtocolSupport::Full)],
            request_response::Config::default()
                .with_request_timeout(REQUEST_TIMEOUT)
                .with_max_concurrent_streams(MAX_STREAMS),
        );
        Ok(Behaviour {
            infra: Infra {
                identify: identify::Behaviour::new(identify::Config::new(
                    IDENTIFY_PROTOCOL.into(),
                    key.public(),
                )),
                ping: ping::Behaviour::new(ping::Config::new()),
                kad,
            },
            domain: Domain { gossip, requests },
        })
    }
}
