//! The streaming checker: a policy compiled once into [`Rules`], and one [`ContentCheck`] per
//! payload that takes the payload in pieces and ends in a verdict.

use std::io;
use std::path::Path;

use datanet_protocol::hash::Hash;
use datanet_protocol::signed::{Policy, RecordFormat, RecordRules, PPM};
use jsonschema::Validator;

use super::csv_rows::{CsvRows, Row};
use super::json_lines::line_verdict;
use super::lines::{Line, LineSplitter};
use super::new_records::NewRecords;
use super::parallel_lines::check_whole_lines;
use super::repeats::RecordHashes;
use super::seen::SeenRecords;
use super::spill::SPILL_AT;
use crate::violation::{RecordFailure, QUOTED_FAILURES};
use crate::{size_limit, Violation};

/// Why a datanet's JSON Schema cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// The schema text is not JSON.
    #[error("the record schema is not JSON: {0}")]
    NotJson(String),
    /// The schema is JSON but not a JSON Schema this checker can compile (remote references
    /// are not fetched, so they fail here too).
    #[error("the record schema is not a valid JSON Schema: {0}")]
    Invalid(String),
}

/// A datanet's policy, ready to check payloads: its JSON Schema compiled once.
#[derive(Debug)]
pub struct Rules {
    limit: u64,
    records: Option<RecordRules>,
    schema: Option<Validator>,
}

impl Rules {
    /// Compiles `policy`. An empty schema accepts any JSON object.
    ///
    /// # Errors
    /// [`SchemaError`] when the JSON Lines schema is not a usable JSON Schema.
    pub fn new(policy: &Policy) -> Result<Self, SchemaError> {
        let schema = match policy.records.as_ref().map(|r| &r.format) {
            Some(RecordFormat::JsonLines { schema }) if !schema.trim().is_empty() => {
                let value: serde_json::Value = serde_json::from_str(schema)
                    .map_err(|e| SchemaError::NotJson(e.to_string()))?;
                Some(
                    jsonschema::validator_for(&value)
                        .map_err(|e| SchemaError::Invalid(e.to_string()))?,
                )
            }
            _ => None,
        };
        Ok(Rules {
            limit: size_limit(policy),
            records: policy.records.clone(),
            schema,
        })
    }

    /// Starts checking one payload, with `seen` answering which records the datanet already
    /// holds: asked once per distinct record, in hash order, when the payload is finished.
    pub fn check<'a, S: SeenRecords + ?Sized>(&'a self, seen: &'a S) -> ContentCheck<'a, S> {
        let reader = match &self.records {
            None => Reader::Opaque,
            Some(rules) => {
                let limit = rules.max_record_bytes as usize;
                match &rules.format {
                    RecordFormat::JsonLines { .. } => Reader::Lines(LineSplitter::new(limit)),
                    RecordFormat::Csv { columns } => {
                        Reader::Csv(Box::new(CsvRows::new(columns, limit)))
                    }
                }
            }
        };
        ContentCheck {
            limit: self.limit,
            len: 0,
            reader,
            tally: Tally {
                rules: self,
                seen,
                records: 0,
                failing: 0,
                first: Vec::new(),
                header: None,
                hashes: RecordHashes::new(),
            },
        }
    }
}

/// What an accepted payload holds.
#[derive(Debug)]
pub struct Accepted {
    /// How many records it holds (0 for a policy without record rules).
    pub records: u64,
    /// How many of them repeat an earlier record, within the allowed fraction.
    pub repeats: u64,
    /// The hashes of its distinct records that the datanet did not hold yet, ascending: what
    /// to add to the datanet's record index once the contribution is accepted.
    pub new_records: NewRecords,
}

/// One payload being checked.
pub struct ContentCheck<'a, S: ?Sized> {
    limit: u64,
    len: u64,
    reader: Reader,
    tally: Tally<'a, S>,
}

enum Reader {
    Opaque,
    Lines(LineSplitter),
    Csv(Box<CsvRows>),
}

struct Tally<'a, S: ?Sized> {
    rules: &'a Rules,
    seen: &'a S,
    records: u64,
    failing: u64,
    first: Vec<RecordFailure>,
    header: Option<String>,
    hashes: RecordHashes,
}

impl<S: SeenRecords + ?Sized> ContentCheck<'_, S> {
    /// Keeps the record hashes in `dir` rather than in memory: every 512 Ki of them (16 MiB)
    /// are sorted and written to an anonymous temporary file there, and merged when the
    /// payload ends, so a payload of any number of records holds 16 MiB of hashes. The new
    /// records of a payload that spilled are then in a file ([`NewRecords::is_spilled`]).
    pub fn spill_to(mut self, dir: &Path) -> Self {
        self.tally.hashes.spill_to(dir, SPILL_AT);
        self
    }

    /// Checks the next piece of the payload. Pieces may be cut anywhere, inside a record or
    /// a UTF-8 character; past the size limit the rest is only counted.
    ///
    /// The JSON lines that lie whole in a piece are checked on rayon's thread pool, and the
    /// call returns once they are: from async code, run it off the runtime.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.len > self.limit {
            return;
        }
        let tally = &mut self.tally;
        match &mut self.reader {
            Reader::Opaque => {}
            Reader::Lines(lines) => {
                let whole = lines.feed_around(bytes, &mut |line| tally.line(line));
                let schema = tally.rules.schema.as_ref();
                check_whole_lines(whole, lines.limit(), schema, &mut |verdict| {
                    tally.line_verdict(verdict);
                });
            }
            Reader::Csv(rows) => rows.feed(bytes, &mut |n, row| tally.row(n, row)),
        }
    }

    /// The verdict on the whole payload. The first rule broken, in this order, is reported:
    /// empty, too large, CSV header, records, record count, repeats.
    ///
    /// # Errors
    /// The outer error is an I/O error of a check that spills ([`ContentCheck::spill_to`]):
    /// a run of hashes could not be written or read back, and there is no verdict. The inner
    /// one is the [`Violation`].
    pub fn finish(self) -> io::Result<Result<Accepted, Violation>> {
        let ContentCheck {
            limit,
            len,
            reader,
            mut tally,
        } = self;
        if len == 0 {
            return Ok(Err(Violation::Empty));
        }
        if len > limit {
            return Ok(Err(Violation::TooLarge { len, limit }));
        }
        match reader {
            Reader::Opaque => {}
            Reader::Lines(lines) => lines.finish(&mut |line| tally.line(line)),
            Reader::Csv(rows) => rows.finish(&mut |n, row| tally.row(n, row)),
        }
        tally.verdict()
    }
}

impl<S: SeenRecords + ?Sized> Tally<'_, S> {
    fn line(&mut self, line: Line<'_>) {
        let limit = self.max_record_bytes() as usize;
        self.line_verdict(line_verdict(line, self.rules.schema.as_ref(), limit));
    }

    fn line_verdict(&mut self, verdict: Result<Hash, String>) {
        let number = self.records + 1;
        self.record(|| format!("line {number}"), verdict);
    }

    fn row(&mut self, number: u64, row: Row) {
        let place = || format!("row {number}");
        match row {
            Row::Header => {}
            Row::Bad(why) if number == 1 => self.header = Some(format!("{}: {why}", place())),
            Row::Bad(why) => self.record(place, Err(why)),
            Row::Good(hash) => self.record(place, Ok(hash)),
        }
    }

    fn max_record_bytes(&self) -> u32 {
        self.rules
            .records
            .as_ref()
            .map_or(0, |r| r.max_record_bytes)
    }

    fn max_records(&self) -> u64 {
        self.rules.records.as_ref().map_or(0, |r| r.max_records)
    }

    /// Counts one record; `place` names it, and is only written out for a failure quoted.
    fn record(&mut self, place: impl FnOnce() -> String, result: Result<Hash, String>) {
        self.records += 1;
        match result {
            Err(why) => {
                self.failing += 1;
                if self.first.len() < QUOTED_FAILURES {
                    self.first.push(RecordFailure {
                        place: place(),
                        why,
                    });
                }
            }
            Ok(hash) if self.records <= self.max_records() => self.hashes.push(hash),
            Ok(_) => {}
        }
    }

    fn verdict(self) -> io::Result<Result<Accepted, Violation>> {
        if let Some(why) = self.header {
            return Ok(Err(Violation::Header { why }));
        }
        if self.failing > 0 {
            return Ok(Err(Violation::Records {
                records: self.records,
                failing: self.failing,
                first: self.first,
            }));
        }
        if let Some(rules) = &self.rules.records {
            if self.records < rules.min_records || self.records > rules.max_records {
                return Ok(Err(Violation::RecordCount {
                    records: self.records,
                    min: rules.min_records,
                    max: rules.max_records,
                }));
            }
        }
        let found = self.hashes.repeats(self.seen)?;
        if let Some(rules) = &self.rules.records {
            let allowed = u128::from(rules.max_repeat_ppm) * u128::from(self.records);
            if u128::from(found.repeats) * u128::from(PPM) > allowed {
                return Ok(Err(Violation::Repeats {
                    records: self.records,
                    repeated: found.repeats,
                    max_ppm: rules.max_repeat_ppm,
                }));
            }
        }
        Ok(Ok(Accepted {
            records: self.records,
            repeats: found.repeats,
            new_records: found.new_records,
        }))
    }
}
