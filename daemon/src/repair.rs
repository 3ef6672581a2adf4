//! Repair: a custodian that lacks a column it owes (a new peer took over custody, a disk was
//! lost, a record was corrupted) rebuilds the square from `k` columns of other custodians,
//! checks it against the DA root, and stores its columns. One square at a time, so repair
//! never takes more than one reconstruction's worth of bandwidth and CPU at once.

use std::collections::BTreeSet;

use datanet_protocol::{DaRoot, Line, SquareHeader};
use datanet_storage::{AsyncStore, RepairItem};

use crate::custody::is_custodian;
use crate::net::{NetEvent, NetHandle};
use crate::retrieval::fetch_square;
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

/// Checks every square of every stored contribution and rebuilds the columns this node owes
/// but lacks.
///
/// # Errors
/// A store or network error that stops the pass; squares that are merely unavailable are
/// listed in the report instead.
pub(crate) async fn repair_pass(
    net: &NetHandle,
    store: &AsyncStore,
    replicas: usize,
) -> Result<RepairReport, NodeError> {
    let local = net.local_peer_id();
    let mut peers = net.peers().await?;
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
        let square = match fetch_square(net, store, header.clone(), replicas).await {
            Ok(square) => square,
            Err(NodeError::Unavailable { .. }) => {
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
            net.emit(NetEvent::ColumnStored {
                da_root: root,
                index,
            });
        }
    }
    Ok(report)
}
