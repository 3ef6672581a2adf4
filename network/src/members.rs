//! Who the storage peers are, independent of who this node is connected to: each storage
//! peer gossips a signed presence (its listen addresses) every presence interval
//! ([`crate::NetConfig::presence_interval`]); a peer is a present member while connected or
//! heard from within three intervals, and an away member for the custody grace after that.
//! A closed connection alone does not make a peer heard from lately away (connections are
//! closed when idle); one never heard from is away at once. Custody, retrieval and sampling work over the
//! members and dial the ones they need, so a node keeps only a bounded number of connections
//! open however large the network grows.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use datanet_protocol::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};
use libp2p::{Multiaddr, PeerId};

use crate::handle::Membership;

/// How many presence intervals a presence keeps an unconnected peer a present member: one
/// or two lost messages do not make it away.
const PRESENCE_LIFETIMES: u32 = 3;
/// The most addresses a presence carries.
pub(crate) const MAX_PRESENCE_ADDRESSES: usize = 16;
/// The longest address (binary multiaddr) a presence carries.
const MAX_ADDRESS_BYTES: usize = 256;
/// How far a presence's clock may be behind the receiver's: older ones are replays.
const MAX_PRESENCE_AGE_MS: u64 = 10 * 60 * 1000;
/// How far a presence's clock may be ahead of the receiver's.
const MAX_PRESENCE_LEAD_MS: u64 = 60 * 1000;
/// Members kept at most; beyond it the longest unheard are forgotten first.
pub(crate) const MAX_MEMBERS: usize = 4096;

/// Milliseconds since the Unix epoch (0 for a clock set before it): the wall-clock time
/// presences and signed objects record.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A storage peer's statement that it is up, and where it listens. Gossip signs it with the
/// peer's network key (strict validation), so its author is the peer it speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Presence {
    /// When it was sent, milliseconds since the Unix epoch on the sender's clock.
    pub(crate) sent_ms: u64,
    /// Where the sender listens.
    pub(crate) addresses: Vec<Multiaddr>,
}

impl Encode for Presence {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        out.u64(self.sent_ms);
        let addresses: Vec<Vec<u8>> = self
            .addresses
            .iter()
            .map(|a| a.to_vec())
            .filter(|a| a.len() <= MAX_ADDRESS_BYTES)
            .take(MAX_PRESENCE_ADDRESSES)
            .collect();
        out.u32(addresses.len() as u32);
        for address in &addresses {
            out.bytes(address);
        }
    }
}

impl Decode for Presence {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("presence version")?;
        let sent_ms = r.u64("presence time")?;
        let count = r.len(MAX_PRESENCE_ADDRESSES, "presence addresses")?;
        let mut addresses = Vec::with_capacity(count);
        for _ in 0..count {
            let bytes = r.bytes(MAX_ADDRESS_BYTES, "presence address")?;
            let address = Multiaddr::try_from(bytes.to_vec())
                .map_err(|e| DecodeError::invalid("presence address", e.to_string()))?;
            addresses.push(address);
        }
        Ok(Presence { sent_ms, addresses })
    }
}

impl Presence {
    /// Whether a presence sent at `sent_ms` is fresh at `now_ms`: not older than the replay
    /// window, not from further ahead than clocks drift.
    pub(crate) fn is_fresh(&self, now_ms: u64) -> bool {
        self.sent_ms + MAX_PRESENCE_AGE_MS >= now_ms
            && self.sent_ms <= now_ms.saturating_add(MAX_PRESENCE_LEAD_MS)
    }
}

/// What this node knows of one storage peer.
#[derive(Debug, Clone)]
struct Member {
    /// Connected and identified as a storage peer.
    connected: bool,
    /// Heard from by a presence.
    heard: bool,
    /// The last sign of life: the last presence, else the connection or disconnection.
    last_alive: Instant,
    /// Where it listens, from its presence or identify.
    addresses: Vec<Multiaddr>,
}

impl Member {
    /// Connected, or heard from within `ttl`.
    fn is_present(&self, now: Instant, ttl: Duration) -> bool {
        self.connected || (self.heard && now < self.last_alive + ttl)
    }

    /// When it stopped being present (meaningful only when it is not).
    fn gone_since(&self, ttl: Duration) -> Instant {
        if self.heard {
            self.last_alive + ttl
        } else {
            self.last_alive
        }
    }
}

/// The storage peers this node knows of; see the module doc.
#[derive(Debug)]
pub(crate) struct Members {
    local: PeerId,
    grace: Duration,
    ttl: Duration,
    table: HashMap<PeerId, Member>,
}

impl Members {
    /// No members yet; `local` is never one, presences come every `interval`, and away
    /// members count for `grace`.
    pub(crate) fn new(local: PeerId, grace: Duration, interval: Duration) -> Self {
        Members {
            local,
            grace,
            ttl: interval * PRESENCE_LIFETIMES,
            table: HashMap::new(),
        }
    }

    fn entry(&mut self, peer: PeerId, now: Instant) -> Option<&mut Member> {
        if peer == self.local {
            return None;
        }
        if !self.table.contains_key(&peer) && self.table.len() >= MAX_MEMBERS {
            self.forget_one(now);
        }
        Some(self.table.entry(peer).or_insert(Member {
            connected: false,
            heard: false,
            last_alive: now,
            addresses: Vec::new(),
        }))
    }

    /// Drops the member gone longest, to make room.
    fn forget_one(&mut self, now: Instant) {
        let ttl = self.ttl;
        let oldest = self
            .table
            .iter()
            .filter(|(_, m)| !m.connected)
            .min_by_key(|(_, m)| {
                if m.is_present(now, ttl) {
                    now
                } else {
                    m.gone_since(ttl)
                }
            })
            .map(|(peer, _)| *peer);
        if let Some(peer) = oldest {
            self.table.remove(&peer);
        }
    }

    /// A connected peer identified itself as a storage peer.
    pub(crate) fn connected(&mut self, peer: PeerId, addresses: Vec<Multiaddr>) {
        let now = Instant::now();
        let Some(member) = self.entry(peer, now) else {
            return;
        };
        member.connected = true;
        if !member.heard {
            member.last_alive = now;
        }
        if !addresses.is_empty() {
            member.addresses = addresses;
        }
    }

    /// The last connection to `peer` closed: it stays present as long as its last presence
    /// says, and is away at once if it never sent one.
    pub(crate) fn disconnected(&mut self, peer: PeerId) {
        if let Some(member) = self.table.get_mut(&peer) {
            member.connected = false;
            if !member.heard {
                member.last_alive = Instant::now();
            }
        }
    }

    /// `peer` gossiped its presence. Returns whether it is back: known to this node, and not
    /// a present member until now (a peer heard of for the first time is not back).
    pub(crate) fn heard(&mut self, peer: PeerId, addresses: Vec<Multiaddr>) -> bool {
        let (now, ttl) = (Instant::now(), self.ttl);
        let known = self.table.contains_key(&peer);
        let Some(member) = self.entry(peer, now) else {
            return false;
        };
        let new = known && !member.is_present(now, ttl);
        member.heard = true;
        member.last_alive = now;
        if !addresses.is_empty() {
            member.addresses = addresses;
        }
        new
    }

    /// `peer`, known before a restart, was last seen `gone_for` ago: away until its grace
    /// ends, unless it is known already.
    pub(crate) fn recall(&mut self, peer: PeerId, gone_for: Duration) {
        let now = Instant::now();
        let Some(since) = now.checked_sub(gone_for).filter(|_| gone_for < self.grace) else {
            return;
        };
        if self.table.contains_key(&peer) {
            return;
        }
        if let Some(member) = self.entry(peer, now) {
            member.last_alive = since;
        }
    }

    /// The present and away members now; forgets those whose grace has ended.
    pub(crate) fn membership(&mut self) -> Membership {
        let (now, ttl, grace) = (Instant::now(), self.ttl, self.grace);
        self.table
            .retain(|_, m| m.is_present(now, ttl) || now < m.gone_since(ttl) + grace);
        let mut membership = Membership::default();
        for (peer, member) in &self.table {
            if member.is_present(now, ttl) {
                membership.present.push(*peer);
            } else {
                membership.away.push(*peer);
            }
        }
        membership.present.sort();
        membership.away.sort();
        membership
    }

    /// The present members not connected now, with where they listen: whom to dial for more
    /// connections.
    pub(crate) fn unconnected(&self) -> Vec<(PeerId, Vec<Multiaddr>)> {
        let now = Instant::now();
        self.table
            .iter()
            .filter(|(_, m)| !m.connected && m.is_present(now, self.ttl) && !m.addresses.is_empty())
            .map(|(peer, m)| (*peer, m.addresses.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_secs(30);

    fn address(port: u16) -> Multiaddr {
        format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap()
    }

    #[test]
    fn a_presence_round_trips_and_bad_bytes_are_refused() {
        let presence = Presence {
            sent_ms: 1_700_000_000_000,
            addresses: vec![
                address(4001),
                "/ip4/127.0.0.1/udp/4001/quic-v1".parse().unwrap(),
            ],
        };
        let bytes = presence.to_bytes();
        assert_eq!(Presence::from_bytes(&bytes).unwrap(), presence);
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(Presence::from_bytes(&trailing).is_err());
        assert!(Presence::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let with_addresses = |count: u32, address: &[u8]| {
            let mut w = Writer::default();
            w.u8(ENCODING_VERSION);
            w.u64(0);
            w.u32(count);
            w.bytes(address);
            w.into_bytes()
        };
        let tcp = address(1).to_vec();
        assert!(Presence::from_bytes(&with_addresses(1, &tcp)).is_ok());
        assert!(
            Presence::from_bytes(&with_addresses(1, &[0xff, 0xff, 0xff])).is_err(),
            "not a multiaddr"
        );
        let too_many = with_addresses(MAX_PRESENCE_ADDRESSES as u32 + 1, &tcp);
        assert!(Presence::from_bytes(&too_many).is_err());
        let too_long = with_addresses(1, &[0u8; MAX_ADDRESS_BYTES + 1]);
        assert!(Presence::from_bytes(&too_long).is_err());
    }

    #[test]
    fn a_presence_from_too_long_ago_or_too_far_ahead_is_stale() {
        let now = 1_700_000_000_000;
        let at = |sent_ms| Presence {
            sent_ms,
            addresses: Vec::new(),
        };
        assert!(at(now).is_fresh(now));
        assert!(at(now - MAX_PRESENCE_AGE_MS).is_fresh(now));
        assert!(!at(now - MAX_PRESENCE_AGE_MS - 1).is_fresh(now));
        assert!(at(now + MAX_PRESENCE_LEAD_MS).is_fresh(now));
        assert!(!at(now + MAX_PRESENCE_LEAD_MS + 1).is_fresh(now));
    }

    #[test]
    fn a_peer_heard_but_never_connected_is_present_and_dialable() {
        let local = PeerId::random();
        let mut members = Members::new(local, Duration::from_secs(120), INTERVAL);
        let peer = PeerId::random();
        assert!(!members.heard(peer, vec![address(1)]), "new, not back");
        assert!(!members.heard(peer, vec![address(1)]), "already present");
        assert!(!members.heard(local, vec![address(2)]), "never itself");
        assert_eq!(members.membership().present, vec![peer]);
        assert_eq!(members.unconnected(), vec![(peer, vec![address(1)])]);
        members.connected(peer, Vec::new());
        assert!(members.unconnected().is_empty());
        assert_eq!(members.membership().present, vec![peer], "addresses kept");
    }

    #[test]
    fn a_disconnected_peer_stays_present_only_if_heard_from_lately() {
        let interval = Duration::from_millis(50);
        let mut members = Members::new(PeerId::random(), Duration::from_secs(120), interval);
        let (heard, silent) = (PeerId::random(), PeerId::random());
        members.heard(heard, vec![address(1)]);
        members.connected(heard, vec![address(1)]);
        members.connected(silent, vec![address(2)]);
        members.disconnected(heard);
        members.disconnected(silent);
        let membership = members.membership();
        assert_eq!(
            membership.present,
            vec![heard],
            "closed when idle, still up"
        );
        assert_eq!(membership.away, vec![silent], "never heard from: gone");
        std::thread::sleep(interval * PRESENCE_LIFETIMES + Duration::from_millis(20));
        let mut away = vec![heard, silent];
        away.sort();
        assert_eq!(members.membership().away, away, "its presence ran out");
        assert!(
            members.heard(heard, Vec::new()),
            "a presence brings it back"
        );
        assert_eq!(members.membership().present, vec![heard]);
    }

    #[test]
    fn recalled_peers_are_away_for_what_is_left_of_their_grace() {
        let grace = Duration::from_secs(120);
        let mut members = Members::new(PeerId::random(), grace, INTERVAL);
        let (recent, old) = (PeerId::random(), PeerId::random());
        members.recall(recent, Duration::from_secs(10));
        members.recall(old, grace + Duration::from_secs(1));
        let membership = members.membership();
        assert_eq!(membership.away, vec![recent]);
        assert!(membership.present.is_empty());
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut members = Members::new(PeerId::random(), Duration::from_secs(120), INTERVAL);
        for _ in 0..MAX_MEMBERS + 10 {
            members.heard(PeerId::random(), Vec::new());
        }
        assert_eq!(members.membership().present.len(), MAX_MEMBERS);
    }
}
