//! Repair: a custodian that lacks a column it owes (a new peer took over custody, a disk was
//! lost, a record was corrupted, a custodian stayed away past the grace period) rebuilds the
//! square from `k` columns of other custodians, checks it against the DA root, and stores its
//! columns. One square at a time, paced to a byte rate, so repair never takes more than one
//! reconstruction's worth of memory at once nor more than its share of bandwidth.
//!
//! Custody is computed over the network's [`Membership`]: storage peers connected now and
//! those gone for less than the grace period. A peer that restarts within it moves no column;
//! one gone longer drops out, and the next rendezvous winners of its columns rebuild them.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use datanet_net::custody::{column_replicas, custodians};
use datanet_net::{Membership, PeerId};
use datanet_protocol::{DaRoot, Line, SquareHeader, SHARE_SIZE};
use datanet_storage::RepairItem;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::events::NodeEvent;
use crate::retrieval::Retriever;
use crate::NodeError;

/// What one repair pass found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// Squares checked.
    pub squares: usize,
    /// Columns this node custodies, over every square checked.
    pub owed: usize,
    /// Columns rebuilt and stored.
    pub repaired: usize,
    /// Columns this node custodies and still lacks after the pass.
    pub missing: usize,
    /// Columns, of the squares checked, with fewer custodians connected (this node included)
    /// than they should have: a custodian is away within the grace period, or the network
    /// has fewer storage peers than the replicas.
    pub under_replicated: usize,
    /// Squares that could not be rebuilt (too few columns reachable), to retry later.
    pub unavailable: Vec<DaRoot>,
}

/// The last repair pass's report and the columns rebuilt since the node started: what
/// `status` and `/metrics` show of replication.
#[derive(Debug, Clone, Default)]
pub(crate) struct RepairState {
    last: Arc<Mutex<(RepairReport, u64)>>,
}

impl RepairState {
    /// The last pass's report (default before the first), and the columns rebuilt in all.
    pub(crate) fn get(&self) -> (RepairReport, u64) {
        self.last.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn record(&self, report: &RepairReport) {
        if let Ok(mut last) = self.last.lock() {
            last.1 += report.repaired as u64;
            last.0 = report.clone();
        }
    }
}

/// How a repair pass runs: at most `bytes_per_s` fetched, its outcome kept in `state`.
#[derive(Clone)]
pub(crate) struct Repairer {
    pub(crate) retriever: Retriever,
    pub(crate) bytes_per_s: u64,
    pub(crate) state: RepairState,
}

/// Repairs every `interval` until cancelled, the first time one `interval` after the start
/// (once connection upkeep has recalled the peers of before a restart, and dialled them); a
/// failed pass is logged and retried next time, and a pass under way stops as soon as
/// `cancel` fires.
pub(crate) async fn repair_loop(repairer: Repairer, interval: Duration, cancel: CancellationToken) {
    let mut ticks = tokio::time::interval_at(Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            _ = ticks.tick() => {}
        }
        match cancel.run_until_cancelled(repairer.pass()).await {
            Some(Ok(report)) if report.repaired > 0 || !report.unavailable.is_empty() => {
                tracing::info!(
                    repaired = report.repaired,
                    missing = report.missing,
                    under_replicated = report.under_replicated,
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

/// Spaces out work so that, from its start, at most `bytes_per_s` are spent on average.
struct Pacer {
    start: Instant,
    spent: u64,
    bytes_per_s: u64,
}

impl Pacer {
    fn new(bytes_per_s: u64) -> Self {
        Pacer {
            start: Instant::now(),
            spent: 0,
            bytes_per_s: bytes_per_s.max(1),
        }
    }

    /// Counts `bytes` spent and waits until the average rate is back within the limit.
    async fn spend(&mut self, bytes: u64) {
        self.spent = self.spent.saturating_add(bytes);
        let due = Duration::from_secs_f64(self.spent as f64 / self.bytes_per_s as f64);
        tokio::time::sleep_until(self.start + due).await;
    }
}

/// Custody over one membership, computed once per pass: who counts, and who is connected.
struct CustodyView {
    local: PeerId,
    members: Vec<PeerId>,
    present: BTreeSet<PeerId>,
    replicas: usize,
}

impl CustodyView {
    fn new(membership: &Membership, local: PeerId, replicas: usize) -> Self {
        let mut present: BTreeSet<PeerId> = membership.present.iter().copied().collect();
        present.insert(local);
        CustodyView {
            local,
            members: membership.with(local),
            present,
            replicas,
        }
    }

    /// The columns of the square under `header` that this node owes, and how many of its
    /// columns have fewer custodians present than they should.
    fn of(&self, header: &SquareHeader) -> (Vec<u16>, usize) {
        let width = header.params.width();
        let wanted = column_replicas(width, self.replicas);
        let mut owed = Vec::new();
        let mut under_replicated = 0;
        for c in 0..width as u16 {
            let chosen = custodians(&self.members, width, c, self.replicas);
            if chosen.contains(&self.local) {
                owed.push(c);
            }
            if chosen.iter().filter(|p| self.present.contains(p)).count() < wanted {
                under_replicated += 1;
            }
        }
        (owed, under_replicated)
    }
}

impl Repairer {
    /// Checks every square of every stored contribution and rebuilds the columns this node
    /// owes but lacks, then records the report.
    ///
    /// # Errors
    /// A store or network error that stops the pass; squares that are merely unavailable are
    /// listed in the report instead.
    pub(crate) async fn pass(&self) -> Result<RepairReport, NodeError> {
        let report = self.check_all().await?;
        self.state.record(&report);
        Ok(report)
    }

    async fn check_all(&self) -> Result<RepairReport, NodeError> {
        let Retriever {
            net,
            store,
            events,
            replicas,
        } = &self.retriever;
        let local = net.local_peer_id();
        let view = CustodyView::new(&net.membership().await?, local, *replicas);
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
        let mut pacer = Pacer::new(self.bytes_per_s);
        for header in headers {
            report.squares += 1;
            let root = header.da_root();
            let (owed, under_replicated) = view.of(&header);
            report.owed += owed.len();
            report.under_replicated += under_replicated;
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
            let k = header.params.k();
            pacer.spend((k * k * SHARE_SIZE) as u64).await;
            let square = match self.retriever.square(header.clone()).await {
                Ok(square) => square,
                Err(NodeError::SquareUnavailable { .. }) => {
                    report.missing += missing.len();
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
        let repairer = Repairer {
            retriever: Retriever {
                net: mock.handle.clone(),
                store: AsyncStore::new(store),
                events: Events::new(),
                replicas: 2,
            },
            bytes_per_s: u64::MAX,
            state: RepairState::default(),
        };
        let cancel = CancellationToken::new();
        let looping = tokio::spawn(repair_loop(
            repairer,
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

    fn peers(n: u8) -> Vec<PeerId> {
        (0..n)
            .map(|i| {
                datanet_net::identity::Keypair::ed25519_from_bytes([i + 1; 32])
                    .unwrap()
                    .public()
                    .to_peer_id()
            })
            .collect()
    }

    #[test]
    fn a_custodian_away_within_its_grace_keeps_its_columns_and_leaves_them_under_replicated() {
        let header = sample_contribution(6, 1, 200_000).headers[0].clone();
        let width = header.params.width();
        let all = peers(5);
        let (local, others) = (all[0], &all[1..]);
        let present = Membership {
            present: others.to_vec(),
            away: Vec::new(),
        };
        let (owed, under) = CustodyView::new(&present, local, 2).of(&header);
        assert_eq!(under, 0, "every custodian present");
        let away = others[0];
        let with_one_away = Membership {
            present: others[1..].to_vec(),
            away: vec![away],
        };
        let (owed_meanwhile, under) = CustodyView::new(&with_one_away, local, 2).of(&header);
        assert_eq!(owed_meanwhile, owed, "nothing moves within the grace");
        let held_by_away = (0..width as u16)
            .filter(|c| custodians(&all, width, *c, 2).contains(&away))
            .count();
        assert!(held_by_away > 0);
        assert_eq!(under, held_by_away, "its columns lack one custodian");

        let gone = Membership {
            present: others[1..].to_vec(),
            away: Vec::new(),
        };
        let (owed_after, under) = CustodyView::new(&gone, local, 2).of(&header);
        assert_eq!(under, 0, "past the grace its columns have new custodians");
        let taken_over: Vec<u16> = owed_after
            .iter()
            .filter(|c| !owed.contains(c))
            .copied()
            .collect();
        let expected: Vec<u16> = (0..width as u16)
            .filter(|c| {
                let before = custodians(&all, width, *c, 2);
                before.contains(&away)
                    && !before.contains(&local)
                    && custodians(gone.with(local).as_slice(), width, *c, 2).contains(&local)
            })
            .collect();
        assert_eq!(
            taken_over, expected,
            "exactly the departed peer's columns move"
        );
        assert!(
            owed.iter().all(|c| owed_after.contains(c)),
            "none move away"
        );
    }

    #[test]
    fn too_few_storage_peers_leave_every_column_under_replicated() {
        let header = sample_contribution(6, 2, 200_000).headers[0].clone();
        let (owed, under) = CustodyView::new(&Membership::default(), peers(1)[0], 2).of(&header);
        assert_eq!(owed.len(), header.params.width(), "alone, it owes all");
        assert_eq!(under, header.params.width());
    }

    #[tokio::test(start_paused = true)]
    async fn repair_is_paced_to_its_byte_rate() {
        let mut pacer = Pacer::new(1000);
        let start = Instant::now();
        pacer.spend(500).await;
        pacer.spend(2500).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        pacer.spend(0).await;
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(3),
            "nothing spent, no wait"
        );
    }
}
