//! How a network starts: its key, addresses, timeouts, and the role it plays.

use std::time::Duration;

use libp2p::{identity, Multiaddr};

/// What a node is to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Answers requests and custodies columns: advertises datanet's request protocol (which is
    /// how other nodes tell storage peers apart) and serves the DHT.
    Storage,
    /// Asks only: never advertises the request protocol, so it is never made a custodian,
    /// and is a DHT client.
    Light,
}

/// The settings of one node's network.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// The node's network identity.
    pub key: identity::Keypair,
    /// What the node is to the network.
    pub role: Role,
    /// Addresses to listen on, e.g. `/ip4/127.0.0.1/udp/0/quic-v1`.
    pub listen: Vec<Multiaddr>,
    /// How long a request to a peer may take.
    pub request_timeout: Duration,
    /// How long a storage peer that went away still counts for custody: a restart or a short
    /// outage moves no column, a longer absence hands its columns to the next custodians.
    pub custody_grace: Duration,
    /// Connections the node keeps open: it dials members while it has fewer, and closes
    /// idle ones once it has more than twice as many. Requests dial the peers they need
    /// beyond these.
    pub connections: usize,
    /// How long a connection carries no request before, one too many, it may be closed (and
    /// it must be open twice as long): time to identify, catch up and exchange gossip.
    pub idle: Duration,
    /// How often a storage node gossips its presence; a peer not heard from for three
    /// intervals (and not connected) is away.
    pub presence_interval: Duration,
}

/// The default [`NetConfig::custody_grace`]: long enough for a restart.
pub const CUSTODY_GRACE: Duration = Duration::from_secs(120);
/// The default [`NetConfig::connections`]: enough that the connection graph stays connected
/// and gossip meshes fill (6 to 12 peers each), few enough to stay flat as the network grows.
pub const CONNECTIONS: usize = 16;
/// The default [`NetConfig::idle`].
pub const IDLE: Duration = Duration::from_secs(30);
/// The default [`NetConfig::presence_interval`].
pub const PRESENCE_INTERVAL: Duration = Duration::from_secs(30);

impl NetConfig {
    /// A node with `key` in `role`, listening on loopback TCP and QUIC on free ports, with
    /// requests timing out after 20 s, the default custody grace and connection target.
    pub fn loopback(key: identity::Keypair, role: Role) -> Self {
        NetConfig {
            key,
            role,
            listen: loopback_addrs(),
            request_timeout: Duration::from_secs(20),
            custody_grace: CUSTODY_GRACE,
            connections: CONNECTIONS,
            idle: IDLE,
            presence_interval: PRESENCE_INTERVAL,
        }
    }
}

/// Loopback TCP and QUIC addresses on free ports.
pub fn loopback_addrs() -> Vec<Multiaddr> {
    ["/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"]
        .iter()
        .filter_map(|a| a.parse().ok())
        .collect()
}

/// The peer id at the end of an address (`…/p2p/<peer id>`), if it names one.
pub fn peer_of(address: &Multiaddr) -> Option<libp2p::PeerId> {
    address.iter().find_map(|p| match p {
        libp2p::multiaddr::Protocol::P2p(peer) => Some(peer),
        _ => None,
    })
}
