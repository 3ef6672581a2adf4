//! What the commands print, and how. The daemon's answers are rendered as text here, and
//! every write to standard output goes through this module, so that a reader that stops
//! early (`datanet show ID | head -1`) ends the command quietly with
//! [`CliError::OutputClosed`] instead of a failed write.

use std::fmt;
use std::io::{self, Write};

use serde::Serialize;

use super::CliError;
use crate::api::views::{
    ContributionView, DatanetView, StatusView, ValidationView, ValidatorStatusView, VerifyView,
};

/// `e`, met while writing `what`: a broken pipe means the reader has gone, which ends the
/// command quietly; anything else is an error worth saying.
pub(crate) fn write_error(e: io::Error, what: &str) -> CliError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CliError::OutputClosed
    } else {
        CliError::Other(format!("writing {what}: {e}"))
    }
}

/// Writes with `write` to standard output, then flushes it.
pub(crate) fn stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| write_error(e, "to standard output"))
}

/// Writes with `write` to standard error, then flushes it.
pub(crate) fn stderr(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), CliError> {
    let mut out = io::stderr().lock();
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| write_error(e, "to standard error"))
}

/// Tells the person at the terminal what happened (why a command failed, what a daemon is
/// doing), on standard error. Nothing is left to do if standard error is closed, so a failed
/// write is let go.
pub(crate) fn report(message: fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "{message}");
}

/// `value` as pretty JSON on standard output.
pub(crate) fn json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Other(e.to_string()))?;
    stdout(|out| writeln!(out, "{text}"))
}

/// `value` on standard output: as JSON when `json` is set, else as `text` writes it.
pub(crate) fn print<T: Serialize>(
    json: bool,
    value: &T,
    text: impl FnOnce(&mut dyn Write, &T) -> io::Result<()>,
) -> Result<(), CliError> {
    if json {
        self::json(value)
    } else {
        stdout(|out| text(out, value))
    }
}

/// A daemon's identity, addresses and counts.
pub(crate) fn status(out: &mut dyn Write, s: &StatusView) -> io::Result<()> {
    writeln!(out, "datanet {}", s.version)?;
    writeln!(out, "  peer id        {}", s.peer_id)?;
    writeln!(out, "  contributor    {}", s.contributor)?;
    for address in &s.listen {
        writeln!(out, "  listen         {address}")?;
    }
    match &s.no_peers {
        Some(why) => writeln!(out, "  peers          0: {why}")?,
        None => writeln!(
            out,
            "  peers          {} connected, {} storage peers known",
            s.peers, s.members
        )?,
    }
    writeln!(out, "  datanets       {}", s.datanets)?;
    writeln!(out, "  contributions  {}", s.contributions)?;
    let c = &s.columns;
    writeln!(
        out,
        "  columns        {} owed, {} missing, {} under-replicated, {} rebuilt",
        c.owed, c.missing, c.under_replicated, c.repaired
    )?;
    match &s.anchoring {
        Some(a) => {
            writeln!(
                out,
                "  anchoring      hub {} on chain {}, {} batches pending",
                a.hub, a.chain_id, a.pending
            )?;
            if let Some(head) = a.head {
                writeln!(out, "                 chain head at block {head}")?;
            }
            if let Some(e) = &a.last_error {
                writeln!(out, "                 last attempt failed (retrying): {e}")?;
            }
        }
        None => writeln!(out, "  anchoring      off: no [chain] configured")?,
    }
    writeln!(out, "  uptime         {} s", s.uptime_s)
}

/// A datanet's name, description, owner and policy.
pub(crate) fn datanet(out: &mut dyn Write, d: &DatanetView) -> io::Result<()> {
    writeln!(out, "  name         {}", d.name)?;
    if !d.description.is_empty() {
        writeln!(out, "  description  {}", d.description)?;
    }
    writeln!(out, "  owner        {}", d.owner)?;
    writeln!(
        out,
        "  policy       at most {} bytes, media types: {}, duplicates {}",
        d.policy.max_contribution_bytes,
        if d.policy.media_types.is_empty() {
            "any".to_owned()
        } else {
            d.policy.media_types.join(", ")
        },
        if d.policy.reject_duplicates {
            "rejected"
        } else {
            "allowed"
        }
    )?;
    let p = &d.policy;
    if p.format != "none" {
        writeln!(
            out,
            "  records      {}, {} to {} per contribution, at most {} bytes each, \
             at most {} ppm repeated",
            p.format, p.min_records, p.max_records, p.max_record_bytes, p.max_repeat_ppm
        )?;
    }
    for c in &p.columns {
        writeln!(out, "  column       {} ({})", c.name, c.kind)?;
    }
    if let Some(schema) = &p.schema {
        writeln!(out, "  schema       {schema}")?;
    }
    if d.validators.is_empty() {
        writeln!(out, "  validators   none: contributions are not attested")?;
    }
    for v in &d.validators {
        writeln!(out, "  validator    {} stake {}", v.key, v.stake)?;
    }
    if let Some(threshold) = &d.threshold {
        writeln!(out, "  threshold    {threshold} of the stake")?;
    }
    Ok(())
}

/// Where a contribution stands with its validators: stake on each side, each verdict, the
/// certificate and the epoch.
fn validation(out: &mut dyn Write, v: &ValidationView) -> io::Result<()> {
    writeln!(
        out,
        "  votes        accepting {} and rejecting {} of {} stake; a quorum needs more than {}",
        v.accepting_stake, v.rejecting_stake, v.total_stake, v.threshold
    )?;
    for a in &v.attestations {
        let key = a.validator.get(..16).unwrap_or(&a.validator);
        if a.message.is_empty() {
            writeln!(out, "    {key}…  {} ({})", a.verdict, a.reason)?;
        } else {
            writeln!(
                out,
                "    {key}…  {} ({}): {}",
                a.verdict, a.reason, a.message
            )?;
        }
    }
    for e in &v.equivocators {
        writeln!(out, "    {e}  signed both ways: counted for neither side")?;
    }
    if let Some(qc) = &v.certificate {
        writeln!(
            out,
            "  certificate  {} ({} signers)",
            qc.hash,
            qc.signers.len()
        )?;
    }
    match v.epoch {
        Some(epoch) => writeln!(out, "  batch        epoch {epoch}")?,
        None if v.certificate.is_some() => {
            writeln!(out, "  batch        waiting for the next epoch")?
        }
        None => {}
    }
    if let Some(a) = &v.anchored {
        match (a.state.as_str(), &a.tx, a.block) {
            ("skipped", _, _) => writeln!(
                out,
                "  anchoring    skipped: the hub took a later epoch first"
            )?,
            (_, Some(tx), Some(block)) => {
                write!(out, "  anchored     tx {tx} in block {block}")?;
                match a.confirmations {
                    Some(n) => writeln!(out, ", {n} confirmations")?,
                    None => writeln!(out)?,
                }
            }
            (_, Some(tx), None) => {
                writeln!(out, "  anchoring    sent in tx {tx}, not confirmed yet")?
            }
            _ => writeln!(
                out,
                "  anchoring    waiting for a quorum of anchor signatures"
            )?,
        }
    }
    Ok(())
}

/// A datanet's validators and when each was last heard from.
pub(crate) fn validators(out: &mut dyn Write, all: &Vec<ValidatorStatusView>) -> io::Result<()> {
    if all.is_empty() {
        return writeln!(
            out,
            "this datanet has no validators: its contributions are not attested"
        );
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    for v in all {
        let heard = match v.last_attestation_ms {
            Some(ms) => format!("last attested {} s ago", now.saturating_sub(ms) / 1000),
            None => "not heard from since this node started".to_owned(),
        };
        writeln!(out, "{}  stake {:<6}  {heard}", v.key, v.stake)?;
    }
    Ok(())
}

/// A contribution's manifest and status.
pub(crate) fn contribution(out: &mut dyn Write, v: &ContributionView) -> io::Result<()> {
    writeln!(out, "  datanet      {}", v.datanet)?;
    writeln!(out, "  contributor  {}", v.contributor)?;
    writeln!(
        out,
        "  payload      {} bytes, {}, hash {}",
        v.payload_len, v.media_type, v.payload_hash
    )?;
    writeln!(out, "  codec        {}", v.codec)?;
    match &v.reason {
        Some(reason) => writeln!(out, "  status       {} ({reason})", v.status)?,
        None => writeln!(out, "  status       {}", v.status)?,
    }
    if let Some(val) = &v.validation {
        validation(out, val)?;
    }
    if let Some(d) = &v.dispersal {
        writeln!(
            out,
            "  dispersal    {} columns, {} custodian acks, {}",
            d.columns,
            d.acks,
            if d.complete {
                "complete".to_owned()
            } else {
                format!("{} columns short", d.short_columns)
            }
        )?;
    }
    writeln!(out, "  chunks       {}", v.chunks.len())?;
    for (i, c) in v.chunks.iter().enumerate() {
        write!(
            out,
            "    {i:>3}  {}  k={:<3}  da_root {}",
            c.id, c.k, c.da_root
        )?;
        match &c.columns_held {
            Some(held) => writeln!(out, "  {} columns held here", held.len())?,
            None => writeln!(out)?,
        }
    }
    Ok(())
}

/// A verification, one line per chunk and a verdict.
pub(crate) fn verification(out: &mut dyn Write, v: &VerifyView) -> io::Result<()> {
    for (i, c) in v.chunks.iter().enumerate() {
        writeln!(
            out,
            "  chunk {i:>3}  {}/{} samples verified  confidence {:.6}  {}",
            c.verified,
            c.requested,
            c.confidence,
            if c.available {
                "available"
            } else {
                "NOT AVAILABLE"
            }
        )?;
    }
    writeln!(
        out,
        "{}: {} of {} chunks reached confidence {}",
        if v.available {
            "available"
        } else {
            "unavailable"
        },
        v.chunks.iter().filter(|c| c.available).count(),
        v.chunks.len(),
        v.target
    )
}
