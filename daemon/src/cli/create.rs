//! `datanet create`: its flags, the policy file they may start from, and the request they
//! make to the daemon.
//!
//! The policy file is the `policy` object of `POST /v1/datanets`, as JSON, or as TOML when its
//! name ends in `.toml`; each flag given overrides the file's value. Validators come from
//! `--validator` flags only.

use std::path::{Path, PathBuf};

use clap::Args;

use super::CliError;
use crate::api::views::{ColumnView, CreateDatanet, PolicyView, ValidatorView};

/// The flags of `datanet create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Its name.
    name: String,
    /// What the dataset is for.
    #[arg(long, default_value = "")]
    description: String,
    /// A policy file (JSON, or TOML when it ends in .toml) that the flags below override.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// A validator: its key (64 hex digits) and stake, default 1. Repeatable; none means no
    /// contribution is ever attested.
    #[arg(long = "validator", value_name = "KEY[:STAKE]")]
    validators: Vec<String>,
    /// The share of validator stake a quorum needs.
    #[arg(long, value_name = "N/D", default_value = None)]
    threshold: Option<String>,
    /// How payloads hold records: none (opaque bytes), jsonl or csv.
    #[arg(long, value_parser = ["none", "jsonl", "csv"])]
    format: Option<String>,
    /// A JSON Schema file every JSON line must satisfy (jsonl).
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// The CSV columns in header order, each NAME:TYPE with TYPE string, integer, number or
    /// boolean (csv).
    #[arg(long, value_name = "NAME:TYPE,...", value_delimiter = ',')]
    csv_columns: Vec<String>,
    /// The fewest records per contribution.
    #[arg(long, value_name = "N")]
    min_records: Option<u64>,
    /// The most records per contribution.
    #[arg(long, value_name = "N")]
    max_records: Option<u64>,
    /// The largest record, in bytes.
    #[arg(long, value_name = "BYTES")]
    max_record_bytes: Option<u32>,
    /// The most records of a contribution that may repeat earlier ones, in percent (up to
    /// four decimals: 0.5 is one record in 200).
    #[arg(long, value_name = "PCT")]
    max_repeat: Option<String>,
}

/// The request `args` make.
///
/// # Errors
/// [`CliError::Other`] for a file that cannot be read or parsed, or a flag value that does not
/// parse.
pub(crate) fn request(args: CreateArgs) -> Result<CreateDatanet, CliError> {
    let mut policy = match &args.policy {
        Some(path) => read_policy(path)?,
        None => PolicyView::default(),
    };
    if let Some(format) = args.format {
        policy.format = format;
    }
    if let Some(path) = &args.schema {
        let text = read(path)?;
        policy.schema =
            Some(serde_json::from_str(&text).map_err(|e| {
                CliError::Other(format!("{}: not a JSON Schema: {e}", path.display()))
            })?);
    }
    if !args.csv_columns.is_empty() {
        policy.columns = args
            .csv_columns
            .iter()
            .map(|c| column(c))
            .collect::<Result<_, _>>()?;
    }
    if let Some(n) = args.min_records {
        policy.min_records = n;
    }
    if let Some(n) = args.max_records {
        policy.max_records = n;
    }
    if let Some(n) = args.max_record_bytes {
        policy.max_record_bytes = n;
    }
    if let Some(pct) = &args.max_repeat {
        policy.max_repeat_ppm = percent_to_ppm(pct).map_err(CliError::Other)?;
    }
    let validators = args
        .validators
        .iter()
        .map(|v| validator(v))
        .collect::<Result<_, _>>()?;
    Ok(CreateDatanet {
        name: args.name,
        description: args.description,
        policy,
        validators,
        threshold: args.threshold,
    })
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::Other(format!("cannot read {}: {e}", path.display())))
}

fn read_policy(path: &Path) -> Result<PolicyView, CliError> {
    let text = read(path)?;
    let parsed = if path.extension().is_some_and(|e| e == "toml") {
        toml::from_str(&text).map_err(|e| e.to_string())
    } else {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| CliError::Other(format!("{}: not a valid policy: {e}", path.display())))
}

/// `KEY[:STAKE]`, stake 1 when left out.
fn validator(text: &str) -> Result<ValidatorView, CliError> {
    let (key, stake) = match text.split_once(':') {
        Some((key, stake)) => (
            key,
            stake.parse().map_err(|_| {
                CliError::Other(format!(
                    "--validator {text}: the stake is not a whole number"
                ))
            })?,
        ),
        None => (text, 1),
    };
    Ok(ValidatorView {
        key: key.to_owned(),
        stake,
    })
}

/// `NAME:TYPE`.
fn column(text: &str) -> Result<ColumnView, CliError> {
    let (name, kind) = text
        .rsplit_once(':')
        .ok_or_else(|| CliError::Other(format!("--csv-columns {text}: expected NAME:TYPE")))?;
    Ok(ColumnView {
        name: name.to_owned(),
        kind: kind.to_owned(),
    })
}

/// A percentage with at most four decimals, as parts per million: `0.5` is 5000.
fn percent_to_ppm(text: &str) -> Result<u32, String> {
    let bad = || {
        format!(
            "--max-repeat {text}: expected a percentage from 0 to 100 with at most four decimals"
        )
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) if digits(fraction) => (whole, fraction),
        Some(_) => return Err(bad()),
        None => (text, ""),
    };
    if !digits(whole) || fraction.len() > 4 {
        return Err(bad());
    }
    let whole: u32 = whole.parse().map_err(|_| bad())?;
    let fraction: u32 = format!("{fraction:0<4}").parse().map_err(|_| bad())?;
    let ppm = whole
        .checked_mul(10_000)
        .and_then(|w| w.checked_add(fraction))
        .filter(|p| *p <= 1_000_000)
        .ok_or_else(bad)?;
    Ok(ppm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_become_parts_per_million_exactly() {
        for (text, ppm) in [
            ("0", 0),
            ("1", 10_000),
            ("0.5", 5_000),
            ("12.3456", 123_456),
            ("100", 1_000_000),
        ] {
            assert_eq!(percent_to_ppm(text), Ok(ppm), "{text}");
        }
        for bad in [
            "", "-1", "100.0001", "101", "0.12345", "1e2", ".5", "5.", "x",
        ] {
            assert!(percent_to_ppm(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validators_and_columns_parse_from_their_flags() {
        let key = "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394";
        assert_eq!(validator(key).unwrap().stake, 1);
        assert_eq!(validator(&format!("{key}:30")).unwrap().stake, 30);
        assert!(validator(&format!("{key}:x")).is_err());
        assert_eq!(column("score:number").unwrap().kind, "number");
        assert!(column("score").is_err());
    }
}
