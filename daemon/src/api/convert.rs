//! Conversions between protocol records and their JSON views.

use datanet_protocol::signed::{DuplicateRule, Policy};
use datanet_protocol::{Datanet, Manifest};

use super::views::{ChunkView, ContributionView, DatanetView, DispersalView, PolicyView};
use crate::DispersalReport;

/// The protocol policy a view asks for.
pub(crate) fn policy_of(view: &PolicyView) -> Policy {
    Policy {
        max_contribution_bytes: view.max_contribution_bytes,
        media_types: view.media_types.clone(),
        duplicates: if view.reject_duplicates {
            DuplicateRule::Reject
        } else {
            DuplicateRule::Allow
        },
        ..Policy::default()
    }
}

/// The view of a datanet record.
pub(crate) fn datanet_view(datanet: &Datanet) -> DatanetView {
    let body = datanet.body();
    DatanetView {
        id: datanet.id().to_string(),
        name: body.name.clone(),
        description: body.description.clone(),
        owner: body.owner.to_string(),
        policy: PolicyView {
            max_contribution_bytes: body.policy.max_contribution_bytes,
            media_types: body.policy.media_types.clone(),
            reject_duplicates: body.policy.duplicates == DuplicateRule::Reject,
        },
        created_ms: body.created_ms,
    }
}

/// The view of a manifest; `rejected` names why the contribution was rejected, if it was.
pub(crate) fn contribution_view(
    manifest: &Manifest,
    rejected: Option<String>,
    dispersal: Option<&DispersalReport>,
) -> ContributionView {
    let body = manifest.body();
    ContributionView {
        id: manifest.id().to_string(),
        datanet: body.datanet.to_string(),
        contributor: body.contributor.to_string(),
        payload_len: body.payload_len,
        payload_hash: body.payload_hash.to_hex(),
        media_type: body.media_type.clone(),
        codec: body.codec.to_string(),
        timestamp_ms: body.timestamp_ms,
        chunks: body
            .chunks
            .iter()
            .map(|c| ChunkView {
                id: c.id.to_string(),
                k: c.k,
                da_root: c.da_root.to_string(),
                columns_held: None,
            })
            .collect(),
        status: if rejected.is_some() {
            "rejected"
        } else {
            "stored"
        }
        .to_owned(),
        reason: rejected,
        dispersal: dispersal.map(|r| DispersalView {
            columns: r.columns,
            acks: r.acks,
            short_columns: r.short.len(),
            complete: r.complete(),
        }),
    }
}
