//! Deterministic synthetic JSON Lines corpora for the benchmarks: word-like tokens drawn
//! with a skewed frequency, records of a few hundred bytes, spread over contributions.

use std::path::Path;
use std::time::{Duration, Instant};

use datanet_attribution::{records, AttributionError, Shard, ShardBuilder, TextSource};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Contributions a corpus is spread over.
pub(crate) const CONTRIBUTIONS: u32 = 256;
/// Distinct contributors; contribution `i` belongs to contributor `i % CONTRIBUTORS`.
const CONTRIBUTORS: u32 = 64;
/// Word-like tokens in the vocabulary.
const VOCABULARY: usize = 8192;

/// A vocabulary of pronounceable tokens of one to four syllables, the same on every run.
pub(crate) fn vocabulary() -> Vec<String> {
    const ONSETS: [&str; 16] = [
        "b", "c", "d", "f", "g", "h", "l", "m", "n", "p", "r", "s", "t", "v", "st", "tr",
    ];
    const VOWELS: [&str; 8] = ["a", "e", "i", "o", "u", "ea", "ou", "ai"];
    let mut rng = StdRng::seed_from_u64(7);
    (0..VOCABULARY)
        .map(|_| {
            let syllables = rng.gen_range(1..=4);
            (0..syllables)
                .map(|_| {
                    let onset = ONSETS[rng.gen_range(0..ONSETS.len())];
                    format!("{onset}{}", VOWELS[rng.gen_range(0..VOWELS.len())])
                })
                .collect()
        })
        .collect()
}

/// About `bytes` bytes of words, frequent words far more likely than rare ones.
pub(crate) fn words(rng: &mut StdRng, vocabulary: &[String], bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 32);
    while out.len() < bytes {
        let skewed = rng.gen::<f64>().powi(3);
        out.push_str(&vocabulary[(skewed * vocabulary.len() as f64) as usize]);
        out.push(if rng.gen_ratio(1, 12) { '.' } else { ' ' });
    }
    out
}

/// Contribution `index`'s payload: JSON Lines records of about `bytes` bytes in all, each
/// with an id and 100 to 600 bytes of text.
pub(crate) fn payload(vocabulary: &[String], index: u32, bytes: usize) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(1000 + u64::from(index));
    let mut out = Vec::with_capacity(bytes + 1024);
    let mut record = 0u64;
    while out.len() < bytes {
        let len = rng.gen_range(100..600);
        let line = serde_json::json!({
            "id": format!("{index}-{record}"),
            "text": words(&mut rng, vocabulary, len),
        });
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
        record += 1;
    }
    out
}

/// The ids of contribution `index` and of its contributor.
fn ids(index: u32) -> ([u8; 32], [u8; 32]) {
    let mut contribution = [0u8; 32];
    contribution[..4].copy_from_slice(&index.to_be_bytes());
    let mut contributor = [0xc0; 32];
    contributor[..4].copy_from_slice(&(index % CONTRIBUTORS).to_be_bytes());
    (contribution, contributor)
}

/// Builds a shard at `path` over about `bytes` bytes of payloads, sorting on `threads`
/// threads: each contribution's payload is generated, its `text` fields extracted and
/// added, then dropped. Returns the shard and the time spent generating payloads.
pub(crate) fn build(
    path: &Path,
    vocabulary: &[String],
    bytes: usize,
    threads: u16,
) -> Result<(Shard, Duration), AttributionError> {
    let source = TextSource::JsonLines {
        fields: vec!["text".into()],
    };
    let per_contribution = bytes / CONTRIBUTIONS as usize;
    let mut builder = ShardBuilder::new(0).threads(threads);
    let mut generating = Duration::ZERO;
    for index in 0..CONTRIBUTIONS {
        let (contribution, contributor) = ids(index);
        builder.add_contribution(contribution, contributor);
        let started = Instant::now();
        let payload = payload(vocabulary, index, per_contribution);
        generating += started.elapsed();
        for (record, text) in records(&source, &payload) {
            builder.add_record(record, &text)?;
        }
    }
    Ok((builder.finish(path)?, generating))
}

/// About `bytes` bytes of the indexed text from a random position: a quote of records, their
/// separators turned into spaces, cut to whole characters.
pub(crate) fn quote(rng: &mut StdRng, text: &[u8], bytes: usize) -> String {
    let start = rng.gen_range(0..text.len().saturating_sub(bytes).max(1));
    let piece: Vec<u8> = text[start..(start + bytes).min(text.len())]
        .iter()
        .map(|&b| if b == 0xFF { b' ' } else { b })
        .collect();
    String::from_utf8_lossy(&piece)
        .trim_matches('\u{FFFD}')
        .to_string()
}
