//! What the commands print: the daemon's answers as JSON, or rendered as text.

use serde::Serialize;

use crate::api::views::{ContributionView, DatanetView, StatusView, VerifyView};

/// Prints `value`: as pretty JSON when `json` is set, else as `text` prints it.
pub(crate) fn print<T: Serialize>(json: bool, value: &T, text: impl FnOnce(&T)) {
    if json {
        match serde_json::to_string_pretty(value) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("error: {e}"),
        }
    } else {
        text(value);
    }
}

/// Prints a daemon's identity, addresses and counts.
pub(crate) fn status(s: &StatusView) {
    println!("datanet {}", s.version);
    println!("  peer id        {}", s.peer_id);
    println!("  contributor    {}", s.contributor);
    for address in &s.listen {
        println!("  listen         {address}");
    }
    println!("  peers          {}", s.peers);
    println!("  datanets       {}", s.datanets);
    println!("  contributions  {}", s.contributions);
    println!("  uptime         {} s", s.uptime_s);
}

/// Prints a datanet's name, description, owner and policy.
pub(crate) fn datanet(d: &DatanetView) {
    println!("  name         {}", d.name);
    if !d.description.is_empty() {
        println!("  description  {}", d.description);
    }
    println!("  owner        {}", d.owner);
    println!(
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
    );
}

/// Prints a contribution's manifest and status.
pub(crate) fn contribution(v: &ContributionView) {
    println!("  datanet      {}", v.datanet);
    println!("  contributor  {}", v.contributor);
    println!(
        "  payload      {} bytes, {}, hash {}",
        v.payload_len, v.media_type, v.payload_hash
    );
    println!("  codec        {}", v.codec);
    match &v.reason {
        Some(reason) => println!("  status       {} ({reason})", v.status),
        None => println!("  status       {}", v.status),
    }
    if let Some(d) = &v.dispersal {
        println!(
            "  dispersal    {} columns, {} custodian acks, {}",
            d.columns,
            d.acks,
            if d.complete {
                "complete".to_owned()
            } else {
                format!("{} columns short", d.short_columns)
            }
        );
    }
    println!("  chunks       {}", v.chunks.len());
    for (i, c) in v.chunks.iter().enumerate() {
        println!("    {i:>3}  {}  k={:<3}  da_root {}", c.id, c.k, c.da_root);
    }
}

/// Prints a verification, one line per chunk.
pub(crate) fn verification(v: &VerifyView) {
    for (i, c) in v.chunks.iter().enumerate() {
        println!(
            "  chunk {i:>3}  {}/{} samples verified  confidence {:.6}  {}",
            c.verified,
            c.requested,
            c.confidence,
            if c.available {
                "available"
            } else {
                "NOT AVAILABLE"
            }
        );
    }
    println!(
        "{}: {} of {} chunks reached confidence {}",
        if v.available {
            "available"
        } else {
            "unavailable"
        },
        v.chunks.iter().filter(|c| c.available).count(),
        v.chunks.len(),
        v.target
    );
}
