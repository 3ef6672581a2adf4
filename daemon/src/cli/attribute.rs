//! `datanet attribute`: which contributions a model's output quotes, as a table of spans,
//! contributions and contributors with their weights, or as JSON; with `--submit`, the
//! attribution records signed and submitted for the validators to pay by.

use std::io::{self, Read, Write};
use std::path::Path;

use super::client::Client;
use super::output::print;
use super::CliError;
use crate::api::models::SubmittedView;
use crate::ModelAttribution;

/// The most characters of a span's text shown in the table.
const SHOWN_CHARS: usize = 60;

/// Attributes the output in `file` (`-` for stdin) for `model` and prints the answer; with
/// `submit`, submits its attribution records and prints them.
pub(crate) async fn run(
    client: Client,
    model: &str,
    file: &Path,
    submit: bool,
    json: bool,
) -> Result<(), CliError> {
    let output = read_output(file)?;
    if submit {
        let records: Vec<SubmittedView> = client
            .post_bytes(
                &format!("/v1/attributions?model={model}"),
                "text/plain; charset=utf-8",
                output,
            )
            .await?;
        return print(json, &records, submitted_table);
    }
    let answer: ModelAttribution = client
        .post_bytes(
            &format!("/v1/attribute?model={model}"),
            "text/plain; charset=utf-8",
            output,
        )
        .await?;
    print(json, &answer, table)
}

/// The submitted records as text: each record's datanet and id, then its weights.
fn submitted_table(out: &mut dyn Write, records: &Vec<SubmittedView>) -> io::Result<()> {
    for record in records {
        writeln!(
            out,
            "submitted attribution record {} to the validators of datanet {}",
            record.id, record.datanet
        )?;
        for w in &record.weights {
            writeln!(out, "  {}  {:>10}", w.contributor, w.weight)?;
        }
    }
    Ok(())
}

fn read_output(file: &Path) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    let read = if file == Path::new("-") {
        io::stdin().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    read.map_err(|e| CliError::Other(format!("cannot read {}: {e}", file.display())))?;
    Ok(bytes)
}

/// The answer as text: the spans, then each contribution and contributor with its weight and
/// share of the total.
pub(super) fn table(out: &mut dyn Write, answer: &ModelAttribution) -> io::Result<()> {
    let a = &answer.attribution;
    writeln!(
        out,
        "model {}: {} span(s) of at least {} bytes in {} batch(es), total weight {}",
        answer.model,
        a.spans.len(),
        a.min_len,
        answer.shards.len(),
        a.total_weight
    )?;
    if a.spans.is_empty() {
        return writeln!(
            out,
            "the output quotes no contribution of this model's versions"
        );
    }
    writeln!(out, "spans")?;
    for span in &a.spans {
        let mut shown: String = span.text.chars().take(SHOWN_CHARS).collect();
        if shown.len() < span.text.len() {
            shown.push('…');
        }
        let seen = if span.common {
            format!("{} times (common: no weight)", span.count)
        } else {
            format!(
                "{} time(s) in {} contribution(s)",
                span.count,
                span.contributions.len()
            )
        };
        writeln!(
            out,
            "  [{}..{})  {:>5} B  {seen}  {:?}",
            span.start,
            span.end,
            span.end - span.start,
            shown
        )?;
    }
    let share = |weight: u64| {
        if a.total_weight == 0 {
            0.0
        } else {
            weight as f64 * 100.0 / a.total_weight as f64
        }
    };
    writeln!(out, "contributions")?;
    for c in &a.contributions {
        writeln!(
            out,
            "  {}  {:>10}  {:5.1}%  by {}",
            c.contribution,
            c.weight,
            share(c.weight),
            c.contributor
        )?;
    }
    writeln!(out, "contributors")?;
    for c in &a.contributors {
        writeln!(
            out,
            "  {}  {:>10}  {:5.1}%",
            c.contributor,
            c.weight,
            share(c.weight)
        )?;
    }
    Ok(())
}
