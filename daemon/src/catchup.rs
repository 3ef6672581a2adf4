//! Catch-up: whenever a storage peer connects (at start, after a reconnection, a newcomer, or
//! for a request) or is heard from again after an absence, and every [`ROUND`] with one
//! connected storage peer at random (to repair what gossip dropped), the node asks it which datanets it knows and fetches every record it lacks (verified by
//! its owner's signature; a storage node follows every datanet, since it may custody columns
//! of any), then, for each datanet this node follows, reconciles the two nodes' sets of
//! contribution ids ([`datanet_protocol::sync`]: fingerprints of id ranges compared, ranges
//! that differ split until small enough to list) and fetches every manifest it lacks. Two
//! nodes in sync settle it with one small exchange per datanet, so catching up does not cost
//! more as the datanet grows, and a connection opened for one request costs two small
//! exchanges more. When the node starts following a datanet, it asks every connected storage
//! peer the same for that datanet. Each is checked like an announcement (the typed fetch
//! verifies the signature and the headers against the manifest, the store again before
//! keeping it), and must belong to the datanet it was listed for. The repair loop then takes
//! over the columns the node now custodies, so a node that was away, or joins late, ends up
//! holding what it owes.

use std::time::Duration;

use datanet_net::{NetEvent, NetHandle, PeerId};
use datanet_protocol::sync::{Fingerprint, IdPrefix};
use datanet_protocol::wire::{MAX_FINGERPRINTS, MAX_LISTED};
use datanet_protocol::{ContributionId, DatanetId, Hash};
use datanet_storage::AsyncStore;
use rand::seq::SliceRandom;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::events::NodeEvent;
use crate::serve::Server;
use crate::NodeError;

/// The most manifests learned from one peer per pass: the rest come with the next pass or
/// from other peers, so one peer cannot keep a node busy for ever.
const MAX_LEARNED_PER_PEER: usize = 4096;

/// How often the node catches up with one connected storage peer chosen at random.
const ROUND: Duration = Duration::from_secs(300);

/// The most datanet records learned from one peer per pass.
const MAX_DATANETS_PER_PEER: usize = 4096;

/// A range of ids that differs and holds at most this many ids at the peer is listed rather
/// than split further.
const LIST_AT_MOST: u64 = 16;

/// The most fingerprint exchanges with one peer per datanet and pass.
const MAX_EXCHANGES: usize = 256;

/// What a peer is asked to list.
#[derive(Clone, Copy)]
enum Listing {
    /// The datanets whose records it stores.
    Datanets,
    /// The contributions to one datanet whose manifests it stores.
    Contributions(DatanetId),
}

/// What to do with one range of ids after comparing fingerprints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Both hold the same ids, or the peer holds none: nothing to learn.
    Same,
    /// They differ and the peer holds many: compare the 16 parts.
    Split,
    /// They differ and the peer holds few: list them.
    List,
}

/// The step for each range, given the peer's fingerprints and this node's.
fn compare(theirs: &[Fingerprint], ours: &[Fingerprint]) -> Vec<Step> {
    theirs
        .iter()
        .zip(ours)
        .map(|(theirs, ours)| {
            if theirs == ours || theirs.count == 0 {
                Step::Same
            } else if theirs.count > LIST_AT_MOST {
                Step::Split
            } else {
                Step::List
            }
        })
        .collect()
}

/// What one catch-up pass covers.
enum Pass {
    /// Every followed datanet, from a peer that connected.
    Peer(PeerId),
    /// A datanet the node started following, from every storage peer.
    Datanet(DatanetId),
}

/// Learns the manifests the node missed from every storage peer that connects.
pub(crate) struct CatchUp {
    pub(crate) net: NetHandle,
    pub(crate) store: AsyncStore,
    /// Stores and follows the datanet records learned.
    pub(crate) records: Server,
}

impl CatchUp {
    /// Catches up with each storage peer as it connects or comes back, with a random connected one every
    /// [`ROUND`], and on each datanet as the node starts following it, until cancelled.
    pub(crate) async fn run(
        self,
        mut peers: broadcast::Receiver<NetEvent>,
        mut followed: broadcast::Receiver<NodeEvent>,
        cancel: CancellationToken,
    ) {
        let mut rounds = tokio::time::interval_at(tokio::time::Instant::now() + ROUND, ROUND);
        rounds.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let pass = tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                _ = rounds.tick() => {
                    let Ok(connected) = self.net.storage_peers().await else {
                        break;
                    };
                    match connected.choose(&mut rand::thread_rng()) {
                        Some(peer) => Pass::Peer(*peer),
                        None => continue,
                    }
                }
                event = peers.recv() => match event {
                    Ok(NetEvent::StoragePeer(peer) | NetEvent::MemberArrived(peer)) => {
                        Pass::Peer(peer)
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                    _ => continue,
                },
                event = followed.recv() => match event {
                    Ok(NodeEvent::DatanetAdded(datanet)) => Pass::Datanet(datanet),
                    Err(broadcast::error::RecvError::Closed) => break,
                    _ => continue,
                },
            };
            match cancel.run_until_cancelled(self.pass(pass)).await {
                Some(Ok(0)) => {}
                Some(Ok(learned)) => tracing::info!(learned, "caught up on missed contributions"),
                Some(Err(e)) => tracing::warn!(error = %e, "catch-up stopped"),
                None => break,
            }
        }
    }

    /// Runs one pass; returns how many manifests it stored.
    async fn pass(&self, pass: Pass) -> Result<usize, NodeError> {
        let mut learned = 0;
        match pass {
            Pass::Peer(peer) => {
                let datanets = self.datanets_from(peer).await?;
                if datanets > 0 {
                    tracing::info!(datanets, %peer, "learned datanets created while away");
                }
                let followed: Vec<DatanetId> = self
                    .store
                    .run(|s| Ok(s.datanets()?.iter().map(|d| d.id()).collect()))
                    .await?;
                for datanet in followed {
                    learned += self
                        .from(peer, datanet, MAX_LEARNED_PER_PEER - learned)
                        .await?;
                }
            }
            Pass::Datanet(datanet) => {
                for peer in self.net.storage_peers().await? {
                    learned += self.from(peer, datanet, MAX_LEARNED_PER_PEER).await?;
                }
            }
        }
        Ok(learned)
    }

    /// Learns from `peer` the datanet records this node lacks, at most
    /// [`MAX_DATANETS_PER_PEER`]; returns how many it stored.
    ///
    /// # Errors
    /// A store error; a peer that fails to answer or answers wrongly just ends its turn.
    async fn datanets_from(&self, peer: PeerId) -> Result<usize, NodeError> {
        let all = (IdPrefix::ALL, MAX_LISTED as u16);
        self.learn_listed(peer, Listing::Datanets, all, MAX_DATANETS_PER_PEER)
            .await
    }

    /// Learns from `peer` the manifests of `datanet` this node lacks, at most `budget`, by
    /// reconciling fingerprints of id ranges from the whole id space down; returns how many
    /// it stored.
    ///
    /// # Errors
    /// A store error; a peer that fails to answer or answers wrongly just ends its turn.
    async fn from(
        &self,
        peer: PeerId,
        datanet: DatanetId,
        budget: usize,
    ) -> Result<usize, NodeError> {
        let mut learned = 0;
        let mut ranges = vec![IdPrefix::ALL];
        for _ in 0..MAX_EXCHANGES {
            if ranges.is_empty() || learned >= budget {
                break;
            }
            let batch: Vec<IdPrefix> = ranges.drain(..ranges.len().min(MAX_FINGERPRINTS)).collect();
            let theirs = match self.net.fingerprints(peer, datanet, batch.clone()).await {
                Ok(theirs) => theirs,
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "fingerprints not fetched");
                    break;
                }
            };
            let asked = batch.clone();
            let ours: Vec<Fingerprint> = self
                .store
                .run(move |s| asked.iter().map(|r| s.fingerprint(&datanet, r)).collect())
                .await?;
            let steps = compare(&theirs, &ours);
            for ((range, step), theirs) in batch.into_iter().zip(steps).zip(&theirs) {
                let children = (step == Step::Split).then(|| range.children()).flatten();
                match (step, children) {
                    (Step::Same, _) => {}
                    (_, Some(children)) => ranges.extend(children),
                    _ => {
                        let listing = Listing::Contributions(datanet);
                        let page = theirs.count.clamp(1, MAX_LISTED as u64) as u16;
                        learned += self
                            .learn_listed(peer, listing, (range, page), budget - learned)
                            .await?;
                    }
                }
            }
        }
        Ok(learned)
    }

    /// Pages through `peer`'s `listing` over the ids in `range`, `page` ids at a time, and
    /// learns each listed id this node lacks, at most `budget`; returns how many were
    /// learned. A listing that fails ends the turn.
    ///
    /// # Errors
    /// A store error.
    async fn learn_listed(
        &self,
        peer: PeerId,
        listing: Listing,
        (range, page): (IdPrefix, u16),
        budget: usize,
    ) -> Result<usize, NodeError> {
        let mut learned = 0;
        let mut after = range.cursor().map(|c| c.0).unwrap_or_default();
        while learned < budget {
            let listed = match listing {
                Listing::Datanets => self
                    .net
                    .list_datanets(peer, DatanetId(after))
                    .await
                    .map(|ids| ids.into_iter().map(|id| id.0).collect::<Vec<Hash>>()),
                Listing::Contributions(datanet) => self
                    .net
                    .list_contributions(peer, datanet, ContributionId(after), page)
                    .await
                    .map(|ids| ids.into_iter().map(|id| id.0).collect()),
            };
            let ids = match listed {
                Ok(ids) => ids,
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "listing not fetched");
                    break;
                }
            };
            let mut last_page = ids.len() < usize::from(page);
            let Some(last) = ids.last().copied() else {
                break;
            };
            after = last;
            let ids: Vec<Hash> = ids.into_iter().filter(|id| range.contains(id)).collect();
            last_page |= !range.contains(&last);
            let missing = self
                .store
                .run(move |s| {
                    let mut missing = Vec::new();
                    for id in ids {
                        let lacks = match listing {
                            Listing::Datanets => s.datanet(&DatanetId(id))?.is_none(),
                            Listing::Contributions(_) => s.manifest(&ContributionId(id))?.is_none(),
                        };
                        if lacks {
                            missing.push(id);
                        }
                    }
                    Ok(missing)
                })
                .await?;
            for id in missing.into_iter().take(budget - learned) {
                let stored = match listing {
                    Listing::Datanets => self.learn_datanet(peer, DatanetId(id)).await,
                    Listing::Contributions(datanet) => {
                        self.learn(peer, datanet, ContributionId(id)).await?
                    }
                };
                learned += usize::from(stored);
            }
            if last_page {
                break;
            }
        }
        Ok(learned)
    }

    /// Fetches the datanet record `id` from `peer`, and stores and follows it; whether it
    /// was new.
    async fn learn_datanet(&self, peer: PeerId, id: DatanetId) -> bool {
        match self.net.get_datanet(peer, id).await {
            Ok(datanet) => self.records.record_datanet(datanet).await,
            Err(e) => {
                tracing::debug!(%peer, %id, error = %e, "datanet not fetched");
                false
            }
        }
    }

    /// Fetches and stores the manifest `id` of `datanet` from `peer`; whether it was stored.
    async fn learn(
        &self,
        peer: PeerId,
        datanet: DatanetId,
        id: ContributionId,
    ) -> Result<bool, NodeError> {
        let (manifest, headers) = match self.net.get_manifest(peer, id).await {
            Ok(found) if found.0.body().datanet == datanet => found,
            Ok(_) => {
                self.net.scores().record(peer, false);
                tracing::debug!(%peer, %id, "listed under another datanet");
                return Ok(false);
            }
            Err(e) => {
                tracing::debug!(%peer, %id, error = %e, "missed manifest not fetched");
                return Ok(false);
            }
        };
        let stored = self
            .store
            .run(move |s| s.put_contribution(&manifest, &headers, &[]))
            .await;
        match stored {
            Ok(_) => Ok(true),
            Err(datanet_storage::StoreError::Invalid(why)) => {
                tracing::debug!(%peer, %id, why, "missed manifest refused");
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datanet_net::test_utils::MockNet;
    use datanet_protocol::test_utils::sample_contribution;
    use datanet_protocol::wire::Request;
    use datanet_storage::Store;

    use super::*;
    use crate::events::Events;

    /// A store holding the sample contributions of `nonces`.
    fn store_with(nonces: impl Iterator<Item = u64>) -> Store {
        let store = Store::memory();
        for nonce in nonces {
            let sample = sample_contribution(1, nonce, 64);
            store
                .put_contribution(&sample.manifest, &sample.headers, &[])
                .unwrap();
        }
        store
    }

    #[tokio::test]
    async fn a_node_missing_a_few_of_many_contributions_lists_only_the_ranges_that_differ() {
        const MANY: u64 = 600;
        let theirs = Arc::new(store_with(0..MANY));
        let ours = store_with((0..MANY).filter(|n| n % 100 != 7));
        let peer = PeerId::random();
        let answering = Arc::clone(&theirs);
        let events = Events::new();
        let mock = MockNet::new(vec![peer], move |_, request| {
            Ok(crate::serve::answer_blocking(&answering, request.clone(), &events).unwrap())
        });
        let store = AsyncStore::new(ours);
        let catch_up = CatchUp {
            net: mock.handle.clone(),
            store: store.clone(),
            records: Server {
                store,
                net: mock.handle.clone(),
                events: Events::new(),
            },
        };
        let datanet = sample_contribution(1, 0, 64).manifest.body().datanet;

        let learned = catch_up
            .from(peer, datanet, MAX_LEARNED_PER_PEER)
            .await
            .unwrap();
        assert_eq!(learned, 6);
        let fingerprint = |s: &Store| s.fingerprint(&datanet, &IdPrefix::ALL).unwrap();
        assert_eq!(fingerprint(catch_up.store.blocking()), fingerprint(&theirs));
        let requests = mock.requests();
        let ids_sent: usize = requests
            .iter()
            .filter_map(|(_, r)| match r {
                Request::ListContributions {
                    datanet,
                    after,
                    limit,
                } => Some(
                    theirs
                        .contributions_of(datanet, after, usize::from(*limit))
                        .unwrap()
                        .len(),
                ),
                _ => None,
            })
            .sum();
        assert!(
            ids_sent <= 6 * LIST_AT_MOST as usize && ids_sent < MANY as usize / 2,
            "only the ranges around the 6 missing ids are listed, not all {MANY}: {ids_sent}"
        );
        let gets = requests
            .iter()
            .filter(|(_, r)| matches!(r, Request::GetManifest(_)))
            .count();
        assert_eq!(gets, 6, "only the missing manifests are fetched");

        let before = mock.requests().len();
        let again = catch_up
            .from(peer, datanet, MAX_LEARNED_PER_PEER)
            .await
            .unwrap();
        assert_eq!(again, 0);
        let exchanges = &mock.requests()[before..];
        assert!(
            matches!(exchanges, [(_, Request::Fingerprints { .. })]),
            "in sync: one exchange settles it, got {}",
            exchanges.len()
        );
    }

    #[test]
    fn a_range_is_left_split_or_listed_by_its_fingerprints() {
        let id = |n: u8| Hash([n; 32]);
        let few = Fingerprint::of([&id(1), &id(2)]);
        let many = Fingerprint {
            count: LIST_AT_MOST + 1,
            xor: id(9),
        };
        let none = Fingerprint::default();
        assert_eq!(
            compare(&[few, few, many, none], &[few, none, none, few]),
            vec![Step::Same, Step::List, Step::Split, Step::Same]
        );
    }
}
