//! Connection upkeep: while the node has fewer than [`WANTED_CONNECTIONS`], it dials its
//! bootstrap peers and the peers it remembers until they answer (bootstrap peers first, then
//! remembered ones at random, no more at once than connections are wanted, so a node that
//! lost its peers does not dial everyone it ever met), with a backoff per address,
//! so a node started before its bootstrap peer, or whose every peer went away, connects by
//! itself once any of them listens. Beyond that the network keeps the connection count near
//! its target from the members it hears of; upkeep still dials, every [`EXPLORE`], one of its
//! addresses whose peer is neither connected nor a present member (not heard from by gossip),
//! chosen at random, so two halves of a network that each have enough connections of their
//! own find each other again after a partition, while a peer closed only for being one too
//! many is left alone. Every storage peer it meets is remembered in the store's peer book
//! (its listen addresses and when it was last seen: at connection, every
//! [`REFRESH`] while connected, at disconnection and at shutdown) and dialled again at the
//! next start. At start, the peers the book saw within the custody grace count as away
//! members, so a restarted node takes over no column of a peer it has not reconnected to yet.
//! What it is trying, and why it has no peers, is there for `datanet status`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use datanet_net::{peer_of, Multiaddr, NetEvent, NetHandle, PeerId};
use datanet_storage::{AsyncStore, PeerRecord};
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use rand::seq::SliceRandom;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::clock::now_ms;

/// The first wait after a failed dial; each failure doubles it.
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// The longest wait between two dials of one address.
const MAX_RETRY: Duration = Duration::from_secs(10);
/// Below this many connections the node dials its bootstrap peers and the peers it remembers
/// or has met; at or above it one of them per [`EXPLORE`], so connections stay bounded as the
/// network grows.
const WANTED_CONNECTIONS: usize = 8;
/// How often a node with enough connections still dials one address it is not connected to.
const EXPLORE: Duration = Duration::from_secs(60);
/// How often the dial targets are looked over.
const TICK: Duration = Duration::from_millis(250);
/// The most remembered peers dialled at start (the most recently seen first).
const MAX_REMEMBERED: usize = 64;
/// The longest address the peer book keeps.
const MAX_ADDRESS_LEN: usize = 256;
/// The most addresses the peer book keeps per peer.
const MAX_ADDRESSES: usize = 16;
/// How often the peer book's "last seen" of each connected storage peer is brought up to
/// date, so that after a crash it is at most this old.
const REFRESH: Duration = Duration::from_secs(30);

/// The next wait after `failures` dials of one address failed in a row: doubling from
/// [`FIRST_RETRY`] up to [`MAX_RETRY`].
pub(crate) fn backoff(failures: u32) -> Duration {
    FIRST_RETRY
        .saturating_mul(1 << failures.min(16))
        .min(MAX_RETRY)
}

/// Where a dial target came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The configuration's bootstrap list.
    Bootstrap,
    /// The peer book.
    Remembered,
}

/// One address the node keeps dialling until its peer is connected.
#[derive(Debug, Clone)]
struct Target {
    source: Source,
    /// Dials in a row that did not connect.
    failures: u32,
    /// When it may be dialled again.
    next: Instant,
    /// Why the last dial failed, until one succeeds.
    last_error: Option<String>,
    /// Whether a dial is under way.
    dialling: bool,
}

/// Records the outcome of one dial of `address`. A dial of an address naming its peer
/// succeeds only once that peer is connected; one naming none succeeds as soon as it is
/// started, so it backs off all the same, in case it never connects.
fn settle(address: &Multiaddr, target: &mut Target, result: Result<(), datanet_net::NetError>) {
    target.dialling = false;
    match result {
        Ok(()) if peer_of(address).is_some() => {
            target.failures = 0;
            target.last_error = None;
        }
        Ok(()) => {
            target.last_error = None;
            target.next = Instant::now() + backoff(target.failures);
            target.failures += 1;
        }
        Err(e) => {
            tracing::debug!(%address, error = %e, "dial failed; retrying later");
            target.last_error = Some(match e {
                datanet_net::NetError::Dial(_, reason) => reason,
                other => other.to_string(),
            });
            target.next = Instant::now() + backoff(target.failures);
            target.failures += 1;
        }
    }
}

/// What upkeep is doing, for `datanet status`.
#[derive(Debug, Clone, Default)]
pub struct Connectivity {
    /// Addresses being dialled that have not answered yet, with the last failure.
    pub failing: Vec<(Multiaddr, String)>,
    /// How many bootstrap addresses are configured.
    pub bootstrap: usize,
    /// How many peers the peer book remembered at start.
    pub remembered: usize,
}

impl Connectivity {
    /// Why a node with no peers has none, in words.
    pub fn why_no_peers(&self) -> String {
        if self.failing.is_empty() && self.bootstrap == 0 && self.remembered == 0 {
            return "no bootstrap peers are configured (network.bootstrap) and none are \
                    remembered from earlier runs; dial one or wait for a peer to dial this node"
                .to_owned();
        }
        let tried: Vec<String> = self
            .failing
            .iter()
            .map(|(address, error)| format!("{address}: {error}"))
            .collect();
        if tried.is_empty() {
            return "dialling its bootstrap and remembered peers".to_owned();
        }
        format!(
            "no peer answered yet; retrying {} address(es), last failures: {}",
            tried.len(),
            tried.join("; ")
        )
    }
}

/// The peer book's peers: each with its addresses and when it was last seen (ms since the
/// Unix epoch), most recently seen first.
pub(crate) type Book = Vec<(PeerId, Vec<String>, u64)>;

/// Keeps the node connected; see the module doc.
pub(crate) struct Upkeep {
    pub(crate) net: NetHandle,
    pub(crate) store: AsyncStore,
    pub(crate) bootstrap: Vec<Multiaddr>,
    pub(crate) state: Arc<Mutex<Connectivity>>,
}

impl Upkeep {
    /// Reads the peer book and has the network count the peers it saw within the custody
    /// grace as away members; returns the book for [`Upkeep::run`].
    ///
    /// # Errors
    /// [`NetError::WorkerDied`](datanet_net::NetError::WorkerDied).
    pub(crate) async fn recall(&self) -> Result<Book, datanet_net::NetError> {
        let book = self.book().await;
        let now_ms = now_ms();
        let recalled = book
            .iter()
            .map(|(peer, _, seen_ms)| {
                (
                    *peer,
                    Duration::from_millis(now_ms.saturating_sub(*seen_ms)),
                )
            })
            .collect();
        self.net.recall_members(recalled).await?;
        Ok(book)
    }

    /// Dials the `book`'s peers and the bootstrap peers, remembers and redials until
    /// cancelled. Dials run side by side, so an address that takes long to fail holds up no
    /// other.
    pub(crate) async fn run(
        self,
        book: Book,
        mut events: broadcast::Receiver<NetEvent>,
        cancel: CancellationToken,
    ) {
        let now = Instant::now();
        let target = |source| Target {
            source,
            failures: 0,
            next: now,
            last_error: None,
            dialling: false,
        };
        let mut targets: BTreeMap<Multiaddr, Target> = BTreeMap::new();
        for address in &self.bootstrap {
            targets.insert(address.clone(), target(Source::Bootstrap));
        }
        let remembered = dial_addresses(book);
        let remembered_count = remembered.len();
        let mut seen: BTreeMap<PeerId, Vec<Multiaddr>> = BTreeMap::new();
        let mut refresh = tokio::time::interval_at((now + REFRESH).into(), REFRESH);
        for address in remembered {
            targets
                .entry(address)
                .or_insert_with(|| target(Source::Remembered));
        }
        self.publish(&targets, remembered_count);
        let mut dials = FuturesUnordered::new();
        let mut ticks = tokio::time::interval(TICK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut explore = tokio::time::interval_at((now + EXPLORE).into(), EXPLORE);
        explore.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => {
                    for (peer, addresses) in &seen {
                        self.touch(*peer, addresses).await;
                    }
                    break;
                }
                Some((address, result)) = dials.next(), if !dials.is_empty() => {
                    if let Some(target) = targets.get_mut(&address) {
                        settle(&address, target, result);
                    }
                    self.publish(&targets, remembered_count);
                }
                event = events.recv() => match event {
                    Ok(NetEvent::StoragePeer(peer)) => {
                        let addresses = self.remember(peer).await;
                        for address in addresses.iter().filter_map(|a| a.clone().with_p2p(peer).ok()) {
                            targets
                                .entry(address)
                                .or_insert_with(|| target(Source::Remembered));
                        }
                        if !addresses.is_empty() {
                            seen.insert(peer, addresses);
                        }
                    }
                    Ok(NetEvent::PeerDisconnected(peer)) => {
                        if let Some(addresses) = seen.remove(&peer) {
                            self.touch(peer, &addresses).await;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                    _ => {}
                },
                _ = refresh.tick() => {
                    for (peer, addresses) in &seen {
                        self.touch(*peer, addresses).await;
                    }
                }
                _ = explore.tick() => {
                    let (Ok(connected), Ok(members)) = (self.net.peers().await, self.net.members().await) else {
                        break;
                    };
                    let now = Instant::now();
                    let unknown: Vec<&Multiaddr> = targets
                        .iter()
                        .filter(|(a, t)| {
                            !t.dialling && now >= t.next && is_unconnected(a, &connected)
                                && peer_of(a).is_some_and(|p| !members.contains(&p))
                        })
                        .map(|(a, _)| a)
                        .collect();
                    if let Some(address) = unknown.choose(&mut rand::thread_rng()) {
                        let address = (*address).clone();
                        if let Some(target) = targets.get_mut(&address) {
                            target.dialling = true;
                        }
                        dials.push(dial(self.net.clone(), address));
                    }
                }
                _ = ticks.tick() => {
                    let Ok(connected) = self.net.peers().await else {
                        break;
                    };
                    let now = Instant::now();
                    let mut due: Vec<(&Multiaddr, Source)> = targets
                        .iter()
                        .filter(|(a, t)| !t.dialling && now >= t.next && needs_dial(a, &connected))
                        .map(|(a, t)| (a, t.source))
                        .collect();
                    due.shuffle(&mut rand::thread_rng());
                    due.sort_by_key(|(_, source)| *source != Source::Bootstrap);
                    let room = WANTED_CONNECTIONS.saturating_sub(connected.len() + dials.len());
                    let chosen: Vec<Multiaddr> =
                        due.into_iter().take(room).map(|(a, _)| a.clone()).collect();
                    for address in chosen {
                        if let Some(target) = targets.get_mut(&address) {
                            target.dialling = true;
                        }
                        dials.push(dial(self.net.clone(), address));
                    }
                }
            }
        }
    }

    /// The peers the peer book remembers, other than this node, most recently seen first:
    /// each with its addresses and when it was last seen (ms since the Unix epoch).
    async fn book(&self) -> Book {
        let mut peers = match self.store.run(|s| s.peers()).await {
            Ok(peers) => peers,
            Err(e) => {
                tracing::warn!(error = %e, "the peer book could not be read");
                return Vec::new();
            }
        };
        peers.sort_by_key(|p| std::cmp::Reverse(p.last_seen_ms));
        let local = self.net.local_peer_id();
        peers
            .into_iter()
            .filter_map(|record| {
                let peer = PeerId::from_bytes(&record.peer_id).ok()?;
                (peer != local).then_some((peer, record.addresses, record.last_seen_ms))
            })
            .collect()
    }

    /// Writes `peer`'s listen addresses and the time into the peer book; returns them, to
    /// dial if the peer is lost.
    async fn remember(&self, peer: PeerId) -> Vec<Multiaddr> {
        let Ok(addresses) = self.net.addresses_of(peer).await else {
            return Vec::new();
        };
        let addresses: Vec<Multiaddr> = addresses
            .into_iter()
            .filter(|a| a.to_string().len() <= MAX_ADDRESS_LEN)
            .take(MAX_ADDRESSES)
            .collect();
        if !addresses.is_empty() {
            self.touch(peer, &addresses).await;
        }
        addresses
    }

    /// Records in the peer book that `peer`, listening on `addresses`, is seen now.
    async fn touch(&self, peer: PeerId, addresses: &[Multiaddr]) {
        let record = PeerRecord {
            peer_id: peer.to_bytes(),
            addresses: addresses.iter().map(ToString::to_string).collect(),
            last_seen_ms: now_ms(),
        };
        if let Err(e) = self.store.run(move |s| s.put_peer(&record)).await {
            tracing::warn!(%peer, error = %e, "peer not remembered");
        }
    }

    /// Publishes what is being dialled and failing, for status.
    fn publish(&self, targets: &BTreeMap<Multiaddr, Target>, remembered: usize) {
        let failing = targets
            .iter()
            .filter_map(|(address, t)| Some((address.clone(), t.last_error.clone()?)))
            .collect();
        let bootstrap = targets
            .values()
            .filter(|t| t.source == Source::Bootstrap)
            .count();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        *state = Connectivity {
            failing,
            bootstrap,
            remembered,
        };
    }
}

/// The addresses to dial of the `book`'s [`MAX_REMEMBERED`] most recently seen peers, each
/// ending in its peer id.
fn dial_addresses(book: Book) -> Vec<Multiaddr> {
    book.into_iter()
        .take(MAX_REMEMBERED)
        .flat_map(|(peer, addresses, _)| {
            addresses
                .into_iter()
                .filter_map(move |a| a.parse::<Multiaddr>().ok()?.with_p2p(peer).ok())
        })
        .collect()
}

/// Whether `address` should be dialled: the node has fewer than [`WANTED_CONNECTIONS`] and
/// its peer is not connected, or, for an address that names no peer, the node has no peer at
/// all.
fn needs_dial(address: &Multiaddr, connected: &[PeerId]) -> bool {
    connected.len() < WANTED_CONNECTIONS && is_unconnected(address, connected)
        || peer_of(address).is_none() && connected.is_empty()
}

/// Dials `address`, and says which address the outcome is for.
async fn dial(
    net: NetHandle,
    address: Multiaddr,
) -> (Multiaddr, Result<(), datanet_net::NetError>) {
    let result = net.dial(address.clone()).await;
    (address, result)
}

/// Whether `address` names a peer that is not connected.
fn is_unconnected(address: &Multiaddr, connected: &[PeerId]) -> bool {
    peer_of(address).is_some_and(|peer| !connected.contains(&peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_between_dials_doubles_from_half_a_second_up_to_ten() {
        let waits: Vec<u64> = (0..8).map(|f| backoff(f).as_millis() as u64).collect();
        assert_eq!(
            waits,
            vec![500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]
        );
        assert_eq!(backoff(u32::MAX), MAX_RETRY);
    }

    #[test]
    fn a_node_with_nothing_to_dial_says_so_and_one_dialling_names_its_failures() {
        let alone = Connectivity::default().why_no_peers();
        assert!(alone.contains("network.bootstrap"), "{alone}");
        let address: Multiaddr = "/ip4/127.0.0.1/tcp/9".parse().unwrap();
        let dialling = Connectivity {
            failing: vec![(address, "connection refused".into())],
            bootstrap: 1,
            remembered: 0,
        }
        .why_no_peers();
        assert!(
            dialling.contains("/ip4/127.0.0.1/tcp/9: connection refused"),
            "{dialling}"
        );
    }

    #[test]
    fn an_address_is_dialled_while_its_peer_is_not_connected_and_connections_are_wanted() {
        let peer = PeerId::random();
        let named: Multiaddr = format!("/ip4/127.0.0.1/tcp/9/p2p/{peer}").parse().unwrap();
        assert!(needs_dial(&named, &[]));
        assert!(!needs_dial(&named, &[peer]));
        let anonymous: Multiaddr = "/ip4/127.0.0.1/tcp/9".parse().unwrap();
        assert!(needs_dial(&anonymous, &[]));
        assert!(
            !needs_dial(&anonymous, &[peer]),
            "a node with a peer has what it asked for"
        );
        let many: Vec<PeerId> = (0..WANTED_CONNECTIONS).map(|_| PeerId::random()).collect();
        assert!(needs_dial(&named, &many[1..]));
        assert!(
            !needs_dial(&named, &many),
            "enough connections already: the network keeps more from its members"
        );
        assert!(is_unconnected(&named, &many), "but exploring may dial it");
        assert!(!is_unconnected(&anonymous, &[]));
    }

    #[test]
    fn failed_dials_back_off_and_a_connection_resets_the_wait() {
        let named: Multiaddr = format!("/ip4/127.0.0.1/tcp/9/p2p/{}", PeerId::random())
            .parse()
            .unwrap();
        let mut target = Target {
            source: Source::Bootstrap,
            failures: 0,
            next: Instant::now(),
            last_error: None,
            dialling: true,
        };
        let refused = || Err(datanet_net::NetError::Dial(named.clone(), "refused".into()));
        settle(&named, &mut target, refused());
        settle(&named, &mut target, refused());
        assert_eq!(target.failures, 2);
        assert!(!target.dialling);
        assert!(target.next > Instant::now() + backoff(0));
        assert_eq!(
            target.last_error.as_deref(),
            Some("refused"),
            "the reason alone"
        );
        settle(&named, &mut target, Ok(()));
        assert_eq!((target.failures, target.last_error), (0, None));
    }
}
