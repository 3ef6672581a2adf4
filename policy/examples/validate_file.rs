//! The content checker over a JSON Lines file read from disk in 1 MiB pieces, beside bare
//! `serde_json` parsing of the same file, for `scripts/validate-bench.sh`:
//!
//! ```text
//! validate_file generate SIZE_MIB OUT      # deterministic 5-field records, about 150 B each
//! validate_file schema                     # prints the JSON Schema the records follow
//! validate_file check SCHEMA FILE          # the checker, against the JSON Schema in SCHEMA
//! validate_file parse FILE                 # bare parsing: split at LF, parse each line
//! ```
//!
//! `check` and `parse` print the time, the throughput and the process's peak RSS (`VmHWM`).
//! The checker asks an empty index of accepted records, as a datanet's first contribution does.

use std::collections::BTreeSet;
use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::time::Instant;

#[path = "../benches/support/records.rs"]
mod records;

use datanet_policy::Rules;
use datanet_protocol::hash::Hash;
use datanet_protocol::signed::{Policy, RecordFormat, RecordRules};
use records::{record, SCHEMA};

/// The pieces the file is read in, as an upload hands them over.
const PIECE_BYTES: usize = 1 << 20;

const USAGE: &str =
    "usage: validate_file generate SIZE_MIB OUT | schema | check SCHEMA FILE | parse FILE";

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["generate", size, out] => {
            let mib: u64 = size
                .parse()
                .map_err(|e| format!("SIZE_MIB {size:?}: {e}"))?;
            generate(mib << 20, out)
        }
        ["schema"] => {
            println!("{SCHEMA}");
            Ok(())
        }
        ["check", schema, file] => check(schema, file),
        ["parse", file] => parse(file),
        _ => Err(USAGE.into()),
    }
}

/// Writes distinct records, the benchmark's, until the file holds `bytes`.
fn generate(bytes: u64, out: &str) -> Result<(), Box<dyn Error>> {
    let mut file = BufWriter::with_capacity(PIECE_BYTES, File::create(out)?);
    let (mut written, mut i) = (0u64, 0u64);
    while written < bytes {
        let line = record(i);
        file.write_all(line.as_bytes())?;
        written += line.len() as u64;
        i += 1;
    }
    file.flush()?;
    println!("generated {i} records, {written} bytes");
    Ok(())
}

/// Feeds `path` to `each_piece` in [`PIECE_BYTES`] pieces; the bytes read.
fn stream(path: &str, mut each_piece: impl FnMut(&[u8])) -> Result<u64, Box<dyn Error>> {
    let mut file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut piece = vec![0; PIECE_BYTES];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut piece)?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
        each_piece(&piece[..n]);
    }
}

fn check(schema: &str, path: &str) -> Result<(), Box<dyn Error>> {
    let schema = std::fs::read_to_string(schema).map_err(|e| format!("{schema}: {e}"))?;
    let mut records = RecordRules::new(RecordFormat::JsonLines { schema });
    records.max_records = u64::MAX;
    let policy = Policy {
        max_contribution_bytes: u64::MAX,
        records: Some(records),
        ..Policy::default()
    };
    let rules = Rules::new(&policy)?;
    let seen: BTreeSet<Hash> = BTreeSet::new();
    let started = Instant::now();
    let mut check = rules.check(&seen);
    let bytes = stream(path, |piece| check.feed(piece))?;
    let accepted = check.finish()??;
    report("checker", bytes, started);
    println!(
        "  {} records, {} new, {} repeats",
        accepted.records,
        accepted.new_records.len(),
        accepted.repeats
    );
    Ok(())
}

fn parse(path: &str) -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    let mut partial: Vec<u8> = Vec::new();
    let mut lines = 0u64;
    let mut failed: Option<serde_json::Error> = None;
    let mut parse_line = |line: &[u8]| {
        if line.is_empty() {
            return;
        }
        lines += 1;
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(line) {
            failed.get_or_insert(e);
        }
    };
    let bytes = stream(path, |mut piece| {
        while let Some(end) = memchr::memchr(b'\n', piece) {
            if partial.is_empty() {
                parse_line(&piece[..end]);
            } else {
                partial.extend_from_slice(&piece[..end]);
                parse_line(&partial);
                partial.clear();
            }
            piece = &piece[end + 1..];
        }
        partial.extend_from_slice(piece);
    })?;
    parse_line(&partial);
    if let Some(e) = failed {
        return Err(format!("a line is not JSON: {e}").into());
    }
    report("serde_json parse", bytes, started);
    println!("  {lines} lines");
    Ok(())
}

/// Prints the time since `started`, the throughput over `bytes` and the peak RSS.
fn report(what: &str, bytes: u64, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    let mib = bytes as f64 / f64::from(1 << 20);
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_owned()))
        })
        .unwrap_or_else(|| "unknown".to_owned());
    println!(
        "{what}: {mib:.0} MiB in {secs:.2} s, {:.0} MiB/s, peak RSS {peak}",
        mib / secs
    );
}
