//! Repair: a custodian that lacks a column it owes (a new peer took over custody, a disk was
//! lost, a record was corrupted) rebuilds the square from `k` columns of other custodians,
//! checks it against the DA root, and stores its columns. One square at a time, so repair
//! never takes more than one reconstruction's worth of bandwidth and CPU at once.

use std::collections::BTreeSet;
use std::time::Duration;

use datanet_net::custody::is_custodian;
use datanet_protocol::{DaRoot, Line, SquareHeader};
use datanet_storage::RepairItem;
use tokio_util::sync::CancellationToken;

use crate::events::NodeEvent;
use crate::retrieval::Retriever;
use crate::NodeError;

/// What one repair pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// Squares checked.
    pub squares: usize,
    /// Columns rebuilt and stored.
    pub repaired: usize,
    /// Squares that could not be rebuilt (too few columns reachable), to retry later.
    pub unavailable: Vec<DaRoot>,
}

/// Repairs every `interval` until cancelled; a failed pass is logged and retried next time,
/// and a pass under way stops as soon as `cancel` fires.
pub(crate) async fn repair_loop(
    retriever: Retriever,
    interval: Duration,
    cancel: CancellationToken,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            _ = ticks.tick() => {}
        }
        match cancel.run_until_cancelled(repair_pass(&retriever)).await {
            Some(Ok(report)) if report.repaired > 0 || !report.unavailable.is_empty() => {
                tracing::info!(
                    repaired = report.repaired,
                    unavailable = report.unavailable.len(),
                    "repair pass"
                );
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => tracing::warn!(error = %e, "repair pass failed"),
            None => break,
        }
    }
}

/// Checks every square of every stored contribution and rebuilds the columns this node owes
/// but lacks.
///
/// # Errors
/// A store or network error that stops the pass; squares that are merely unavailable are
/// listed in the report instead.
pub(crate) async fn repair_pass(retriever: &Retriever) -> Result<RepairReport, NodeError> {
    let Retriever {
        net,
        store,
        events,
        replicas,
    } = retriever;
    let replicas = *replicas;
    let local = net.local_peer_id();
    let mut peers = net.storage_peers().await?;
    peers.push(local);
    let headers: Vec<SquareHeader> = store
        .run(|s| {
            let mut headers = Vec::new();
            for m in s.manifests()? {
                for chunk in &m.body().chunks {
                    headers.extend(s.header(&chunk.da_root)?);
                }
            }
            Ok(headers)
        })
        .await?;
    let mut report = RepairReport::default();
    for header in headers {
        report.squares += 1;
        let root = header.da_root();
        let owed: Vec<u16> = (0..header.params.width() as u16)
            .filter(|c| is_custodian(&peers, &local, *c, replicas))
            .collect();
        let missing = store
            .run(move |s| {
                let held: BTreeSet<u16> = s.column_indices(&root)?.into_iter().collect();
                let broken: BTreeSet<u16> = s
                    .repair_list()?
                    .into_iter()
                    .filter_map(|item| match item {
                        RepairItem::Column(r, c) if r == root => Some(c),
                        _ => None,
                    })
                    .collect();
                Ok(owed
                    .into_iter()
                    .filter(|c| !held.contains(c) || broken.contains(c))
                    .collect::<Vec<u16>>())
            })
            .await?;
        if missing.is_empty() {
            continue;
        }
        let square = match retriever.square(header.clone()).await {
            Ok(square) => square,
            Err(NodeError::SquareUnavailable { .. }) => {
                report.unavailable.push(root);
                continue;
            }
            Err(NodeError::BadEncoding(_)) => continue,
            Err(e) => return Err(e),
        };
        let lines: Vec<Line> = missing
            .iter()
            .map(|c| square.column(usize::from(*c)))
            .collect::<Result<_, _>>()?;
        report.repaired += lines.len();
        store.run(move |s| s.put_columns(&header, &lines)).await?;
        for index in missing {
            events.emit(NodeEvent::ColumnStored {
                da_root: root,
                index,
            });
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use datanet_net::test_utils::MockNet;
    use datanet_net::PeerId;
    use datanet_protocol::test_utils::sample_contribution;
    use datanet_storage::{AsyncStore, Store};

    use super::*;
    use crate::events::Events;

    #[tokio::test]
    async fn a_repair_loop_stops_at_once_when_cancelled_while_its_peers_never_answer() {
        let sample = sample_contribution(5, 1, 20_000);
        let store = Store::memory();
        store
            .put_contribution(&sample.manifest, &sample.headers, &[])
            .unwrap();
        let peers: Vec<PeerId> = (0..3).map(|_| PeerId::random()).collect();
        let mock = MockNet::silent(peers);
        let retriever = Retriever {
            net: mock.handle.clone(),
            store: AsyncStore::new(store),
            events: Events::new(),
            replicas: 2,
        };
        let cancel = CancellationToken::new();
        let looping = tokio::spawn(repair_loop(
            retriever,
            Duration::from_millis(10),
            cancel.clone(),
        ));
        tokio::time::timeout(Duration::from_secs(10), async {
            while mock.requests().is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the pass asks the peers for the columns it owes");
        cancel.cancel();
        tokio::time::timeout(Duration::from_secs(1), looping)
            .await
            .expect("the loop ends within a second of its cancellation")
            .unwrap();
    }
}
