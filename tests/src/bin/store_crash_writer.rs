//! Writes contributions into a store in a loop and prints `ack <id>` after each one the store
//! acknowledged, until killed (or after a bounded number of writes). The crash test kills it
//! at random moments and checks that every acknowledged contribution survived.

use std::io::Write;
use std::path::PathBuf;

use datanet_storage::Store;
use datanet_tests::{sample_contribution, store_contribution};

/// Writes stop after this many, so a forgotten writer ends by itself.
const MAX_WRITES: u64 = 100_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let home = PathBuf::from(
        args.next()
            .ok_or("usage: store_crash_writer HOME FIRST_NONCE")?,
    );
    let first: u64 = args.next().ok_or("missing FIRST_NONCE")?.parse()?;
    let store = Store::open(&home)?;
    let mut out = std::io::stdout().lock();
    for nonce in first..first + MAX_WRITES {
        let len = 1 + (nonce * 7919 % 60_000) as usize;
        let sample = sample_contribution(1, nonce, len);
        let id = store_contribution(&store, &sample)?;
        writeln!(out, "ack {id}")?;
        out.flush()?;
    }
    Ok(())
}
