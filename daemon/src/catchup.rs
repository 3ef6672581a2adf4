//! Catch-up: whenever a storage peer connects (at start, after a reconnection, or a newcomer),
//! the node asks it which datanets it knows and fetches every record it lacks (verified by
//! its owner's signature; a storage node follows every datanet, since it may custody columns
//! of any), then which contributions it stores to each datanet this node follows, and
//! fetches every manifest it lacks; and when the node starts following a datanet, it asks
//! every storage peer the same for that datanet. Each is checked like an announcement (the typed fetch
//! verifies the signature and the headers against the manifest, the store again before
//! keeping it), and must belong to the datanet it was listed for. The repair loop then takes
//! over the columns the node now custodies, so a node that was away, or joins late, ends up
//! holding what it owes.

use datanet_net::{NetEvent, NetHandle, PeerId};
use datanet_protocol::wire::MAX_LISTED;
use datanet_protocol::{ContributionId, DatanetId, Hash};
use datanet_storage::AsyncStore;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::events::NodeEvent;
use crate::serve::Server;
use crate::NodeError;

/// The most manifests learned from one peer per pass: the rest come with the next pass or
/// from other peers, so one peer cannot keep a node busy for ever.
const MAX_LEARNED_PER_PEER: usize = 4096;

/// The most datanet records learned from one peer per pass.
const MAX_DATANETS_PER_PEER: usize = 4096;

/// What a peer is asked to list.
#[derive(Clone, Copy)]
enum Listing {
    /// The datanets whose records it stores.
    Datanets,
    /// The contributions to one datanet whose manifests it stores.
    Contributions(DatanetId),
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
    /// Catches up with each storage peer as it connects, and on each datanet as the node
    /// starts following it, until cancelled.
    pub(crate) async fn run(
        self,
        mut peers: broadcast::Receiver<NetEvent>,
        mut followed: broadcast::Receiver<NodeEvent>,
        cancel: CancellationToken,
    ) {
        loop {
            let pass = tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                event = peers.recv() => match event {
                    Ok(NetEvent::StoragePeer(peer)) => Pass::Peer(peer),
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
        self.learn_listed(peer, Listing::Datanets, MAX_DATANETS_PER_PEER)
            .await
    }

    /// Learns from `peer` the manifests of `datanet` this node lacks, at most `budget`;
    /// returns how many it stored.
    ///
    /// # Errors
    /// A store error; a peer that fails to answer or answers wrongly just ends its turn.
    async fn from(
        &self,
        peer: PeerId,
        datanet: DatanetId,
        budget: usize,
    ) -> Result<usize, NodeError> {
        self.learn_listed(peer, Listing::Contributions(datanet), budget)
            .await
    }

    /// Pages through `peer`'s `listing` from the start and learns each listed id this node
    /// lacks, at most `budget`; returns how many were learned. A listing that fails ends the
    /// turn.
    ///
    /// # Errors
    /// A store error.
    async fn learn_listed(
        &self,
        peer: PeerId,
        listing: Listing,
        budget: usize,
    ) -> Result<usize, NodeError> {
        let mut learned = 0;
        let mut after = Hash::default();
        while learned < budget {
            let listed = match listing {
                Listing::Datanets => self
                    .net
                    .list_datanets(peer, DatanetId(after))
                    .await
                    .map(|ids| ids.into_iter().map(|id| id.0).collect::<Vec<Hash>>()),
                Listing::Contributions(datanet) => self
                    .net
                    .list_contributions(peer, datanet, ContributionId(after))
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
            let last_page = ids.len() < MAX_LISTED;
            let Some(last) = ids.last().copied() else {
                break;
            };
            after = last;
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
