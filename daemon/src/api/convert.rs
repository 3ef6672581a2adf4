//! Conversions between protocol records and their JSON views.

use datanet_protocol::signed::{
    Column, ColumnType, DuplicateRule, Policy, PublicKey, ReasonCode, RecordFormat, RecordRules,
    RecordValidators, Threshold, Validator, ValidatorSet, ValidatorSource, Verdict,
};
use datanet_protocol::{Datanet, Manifest};

use super::views::{
    AttestationView, CertificateView, ChunkView, ColumnView, ContributionView, DatanetView,
    DispersalView, PolicyView, ValidationView, ValidatorView,
};
use crate::quorum::lifecycle::Lifecycle;
use crate::DispersalReport;

/// The protocol policy a view asks for.
///
/// # Errors
/// What is wrong with the view: an unknown format or column type, a schema or columns given
/// for a format that has none.
pub(crate) fn policy_of(view: &PolicyView) -> Result<Policy, String> {
    let format = match (view.format.as_str(), &view.schema, view.columns.is_empty()) {
        ("none", None, true) => None,
        ("jsonl", schema, true) => Some(RecordFormat::JsonLines {
            schema: schema
                .as_ref()
                .map_or_else(String::new, serde_json::Value::to_string),
        }),
        ("csv", None, false) => Some(RecordFormat::Csv {
            columns: view
                .columns
                .iter()
                .map(column_of)
                .collect::<Result<_, _>>()?,
        }),
        ("csv", None, true) => return Err("the csv format needs columns".into()),
        ("none" | "jsonl" | "csv", _, _) => {
            return Err(format!(
                "a schema goes with the jsonl format and columns with csv, not with {}",
                view.format
            ))
        }
        (other, _, _) => {
            return Err(format!(
                "unknown record format {other:?}: use none, jsonl or csv"
            ))
        }
    };
    Ok(Policy {
        max_contribution_bytes: view.max_contribution_bytes,
        media_types: view.media_types.clone(),
        duplicates: if view.reject_duplicates {
            DuplicateRule::Reject
        } else {
            DuplicateRule::Allow
        },
        records: format.map(|format| RecordRules {
            format,
            min_records: view.min_records,
            max_records: view.max_records,
            max_record_bytes: view.max_record_bytes,
            max_repeat_ppm: view.max_repeat_ppm,
        }),
    })
}

fn column_of(view: &ColumnView) -> Result<Column, String> {
    let kind = ColumnType::from_name(&view.kind).ok_or_else(|| {
        format!(
            "column {:?}: unknown type {:?}: use string, integer, number or boolean",
            view.name, view.kind
        )
    })?;
    Ok(Column {
        name: view.name.clone(),
        kind,
    })
}

/// The validator set the views ask for: `None` when there are no validators.
///
/// # Errors
/// A key that is not a public key, a bad threshold, a threshold without validators, or a set
/// [`ValidatorSet::new`] refuses.
pub(crate) fn validators_of(
    validators: &[ValidatorView],
    threshold: Option<&str>,
) -> Result<Option<ValidatorSet>, String> {
    if validators.is_empty() {
        return match threshold {
            Some(_) => Err("a threshold needs validators".into()),
            None => Ok(None),
        };
    }
    let threshold = match threshold {
        Some(text) => threshold_of(text)?,
        None => Threshold::TWO_THIRDS,
    };
    let validators = validators
        .iter()
        .map(|v| {
            let key: PublicKey = v
                .key
                .parse()
                .map_err(|e| format!("validator key {}: {e}", v.key))?;
            Ok(Validator {
                key,
                stake: v.stake,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    ValidatorSet::new(validators, threshold)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// A threshold written `N/D`.
fn threshold_of(text: &str) -> Result<Threshold, String> {
    let bad = || format!("threshold {text:?} is not N/D with 0 < N <= D, such as 2/3");
    let (n, d) = text.split_once('/').ok_or_else(bad)?;
    let numerator: u32 = n.trim().parse().map_err(|_| bad())?;
    let denominator: u32 = d.trim().parse().map_err(|_| bad())?;
    if numerator == 0 || numerator > denominator {
        return Err(bad());
    }
    Ok(Threshold {
        numerator,
        denominator,
    })
}

/// The view of a policy.
fn policy_view(policy: &Policy) -> PolicyView {
    let defaults = PolicyView::default();
    let mut view = PolicyView {
        max_contribution_bytes: policy.max_contribution_bytes,
        media_types: policy.media_types.clone(),
        reject_duplicates: policy.duplicates == DuplicateRule::Reject,
        ..defaults
    };
    if let Some(rules) = &policy.records {
        view.min_records = rules.min_records;
        view.max_records = rules.max_records;
        view.max_record_bytes = rules.max_record_bytes;
        view.max_repeat_ppm = rules.max_repeat_ppm;
        match &rules.format {
            RecordFormat::JsonLines { schema } => {
                view.format = "jsonl".into();
                view.schema = (!schema.is_empty()).then(|| {
                    serde_json::from_str(schema)
                        .unwrap_or_else(|_| serde_json::Value::String(schema.clone()))
                });
            }
            RecordFormat::Csv { columns } => {
                view.format = "csv".into();
                view.columns = columns
                    .iter()
                    .map(|c| ColumnView {
                        name: c.name.clone(),
                        kind: c.kind.name().to_owned(),
                    })
                    .collect();
            }
        }
    }
    view
}

/// The view of a datanet record.
pub(crate) fn datanet_view(datanet: &Datanet) -> DatanetView {
    let body = datanet.body();
    let Ok(set) = RecordValidators.validator_set(datanet);
    DatanetView {
        id: datanet.id().to_string(),
        name: body.name.clone(),
        description: body.description.clone(),
        owner: body.owner.to_string(),
        policy: policy_view(&body.policy),
        validators: set
            .iter()
            .flat_map(ValidatorSet::validators)
            .map(|v| ValidatorView {
                key: v.key.to_string(),
                stake: v.stake,
            })
            .collect(),
        threshold: set.as_ref().map(|s| {
            let t = s.threshold();
            format!("{}/{}", t.numerator, t.denominator)
        }),
        created_ms: body.created_ms,
    }
}

/// The view of a validation's state.
pub(crate) fn validation_view(lifecycle: &Lifecycle) -> Option<ValidationView> {
    let tally = lifecycle.tally?;
    let stake = |s: u128| u64::try_from(s).unwrap_or(u64::MAX);
    Some(ValidationView {
        anchored: None,
        accepting_stake: stake(tally.accepting),
        rejecting_stake: stake(tally.rejecting),
        equivocating_stake: stake(tally.equivocating),
        total_stake: stake(tally.total),
        threshold: format!(
            "{}/{}",
            tally.threshold.numerator, tally.threshold.denominator
        ),
        attestations: lifecycle
            .attestations
            .iter()
            .map(|a| {
                let body = a.body();
                AttestationView {
                    validator: body.validator.to_string(),
                    verdict: match body.verdict {
                        Verdict::Accept => "accept",
                        Verdict::Reject => "reject",
                    }
                    .to_owned(),
                    reason: reason_name(body.reason).to_owned(),
                    message: body.message.clone(),
                }
            })
            .collect(),
        equivocators: lifecycle
            .equivocators
            .iter()
            .map(|k| k.to_string())
            .collect(),
        certificate: lifecycle.certificate.as_ref().map(|qc| CertificateView {
            hash: qc.hash().to_hex(),
            signers: qc.signatures.iter().map(|(k, _)| k.to_string()).collect(),
        }),
        epoch: lifecycle.epoch,
    })
}

/// The name of a reason code, as the API and CLI show it.
pub(crate) fn reason_name(reason: ReasonCode) -> &'static str {
    match reason {
        ReasonCode::Ok => "ok",
        ReasonCode::BadSignature => "bad_signature",
        ReasonCode::ChunkMismatch => "chunk_mismatch",
        ReasonCode::BadEncoding => "bad_encoding",
        ReasonCode::TooLarge => "too_large",
        ReasonCode::Format => "format",
        ReasonCode::Schema => "schema",
        ReasonCode::Duplicate => "duplicate",
        ReasonCode::Unavailable => "unavailable",
    }
}

/// The view of a manifest, with where it stands (`lifecycle`, when read from the store) and
/// why a fraud proof rejected it (`rejected`), if one did.
pub(crate) fn contribution_view(
    manifest: &Manifest,
    lifecycle: Option<&Lifecycle>,
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
        status: match (lifecycle, &rejected) {
            (_, Some(_)) => "rejected",
            (Some(l), None) => l.stage.name(),
            (None, None) => "stored",
        }
        .to_owned(),
        reason: rejected,
        validation: lifecycle.and_then(validation_view),
        dispersal: dispersal.map(|r| DispersalView {
            columns: r.columns,
            acks: r.acks,
            short_columns: r.short.len(),
            complete: r.complete(),
        }),
    }
}

/// The view of an anchor's state.
pub(crate) fn anchor_view(
    state: &datanet_storage::AnchorState,
    head: Option<u64>,
) -> super::views::AnchorView {
    use datanet_storage::AnchorState;
    let view = |state: &str, tx: Option<&datanet_protocol::Hash>, block: Option<u64>| {
        super::views::AnchorView {
            state: state.into(),
            tx: tx.map(|h| format!("0x{}", h.to_hex())),
            block,
            confirmations: block
                .zip(head)
                .map(|(block, head)| head.saturating_sub(block) + 1),
        }
    };
    match state {
        AnchorState::Queued => view("queued", None, None),
        AnchorState::Submitted { tx, .. } => view("submitted", Some(tx), None),
        AnchorState::Skipped => view("skipped", None, None),
        AnchorState::Confirmed { tx, block } => view("confirmed", Some(tx), Some(*block)),
    }
}
