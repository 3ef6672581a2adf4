//! The devnet's attribution steps: a second contributor's record, a model registered on the
//! datanet's anchored version, and two outputs attributed at another node: one quoting a
//! record of each contributor, one quoting nothing.

use std::io::BufRead;
use std::path::Path;

use serde::Serialize;

use super::attribute;
use super::client::Client;
use super::devnet::{say, step};
use super::devnet_chain;
use super::{output, transfer, CliError};
use crate::api::models::{ModelView, RegisterModel};
use crate::api::views::{DatanetView, StatusView};
use crate::ModelAttribution;

/// The second contributor's file in the devnet's folder.
const QUOTED: &str = "quoted.jsonl";
/// The record of the second contributor that the quoting output repeats.
const LANTERNS: &str = "seven lanterns hung above the harbour gate all winter long";
/// An output that repeats nothing of the datanet.
const UNRELATED: &str =
    "The weather in the mountains was mild this spring, and the trails opened early.";

/// One contributor's share of the quoting output.
#[derive(Debug, Serialize)]
pub(super) struct Share {
    contributor: String,
    weight: u64,
    percent: f64,
}

/// What the attribution steps found.
#[derive(Debug, Serialize)]
pub(super) struct AttributionSummary {
    pub(super) model: String,
    /// The output that quotes both contributors.
    #[serde(skip)]
    pub(super) quoting: String,
    /// Spans of the quoting output found in the model's version.
    spans: usize,
    /// Its contributors, by weight.
    contributors: Vec<Share>,
    /// Spans of the unrelated output found (zero).
    unrelated_spans: usize,
}

impl AttributionSummary {
    /// The summary line.
    pub(super) fn line(&self) -> String {
        let shares: Vec<String> = self
            .contributors
            .iter()
            .map(|s| format!("{} {:.1}%", short(&s.contributor), s.percent))
            .collect();
        format!(
            "model {}: a quoting output weighs {} ({} spans); an unrelated one quotes nothing",
            short(&self.model),
            shares.join(", "),
            self.spans
        )
    }
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// The devnet's parties for the attribution steps.
pub(super) struct Parties<'a> {
    /// Contributes the second record.
    pub(super) second: (&'a str, &'a Client),
    /// Registers the model and answers queries.
    pub(super) operator: (&'a str, &'a Client),
    /// The contributor of the sample.
    pub(super) first: &'a Client,
}

/// Contributes a second record, registers a model on the version holding both, and
/// attributes a quoting and an unrelated output; fails unless both contributors are found in
/// the first and nothing in the second.
pub(super) async fn walk(
    dir: &Path,
    sample: &Path,
    parties: Parties<'_>,
    datanet: &DatanetView,
    json: bool,
) -> Result<AttributionSummary, CliError> {
    let (second_name, second) = parties.second;
    let (operator_name, operator) = parties.operator;
    step(
        json,
        &format!("contributing a record to quote at {second_name}"),
    )?;
    let file = dir.join(QUOTED);
    let record = serde_json::json!({
        "id": 0,
        "prompt": "what do harbour keepers do in winter",
        "response": LANTERNS,
    });
    std::fs::write(&file, format!("{record}\n"))
        .map_err(|e| CliError::Other(format!("cannot write {}: {e}", file.display())))?;
    let quoted = transfer::upload(second, &datanet.id, &file, "application/jsonl", false).await?;
    let (epoch, _, _, _) = devnet_chain::wait_anchored(operator, &quoted.id).await?;
    say(
        json,
        &format!(
            "  contribution {} accepted and anchored in epoch {epoch}",
            quoted.id
        ),
    )?;

    step(
        json,
        &format!(
            "registering a model trained on the datanet up to epoch {epoch} at {operator_name}"
        ),
    )?;
    let request = RegisterModel {
        name: "devnet-assistant".into(),
        base_model: "llama-3-8b".into(),
        weights: None,
        versions: vec![format!("{}:{epoch}", datanet.id)],
        adapter: None,
    };
    let model: ModelView = operator.post("/v1/models", &request).await?;
    say(json, &format!("  model {}", model.id))?;

    step(json, "attributing an output that quotes both contributors")?;
    let output = format!(
        "Here is what I remember: {}. And: {LANTERNS}.",
        first_response(sample)?
    );
    let found = ask(operator, &model.id, output.clone()).await?;
    if !json {
        output::stdout(|out| attribute::table(out, &found))?;
    }
    let wanted = [
        contributor(parties.first).await?,
        contributor(second).await?,
    ];
    let a = &found.attribution;
    let contributors: Vec<Share> = a
        .contributors
        .iter()
        .map(|c| Share {
            contributor: c.contributor.to_string(),
            weight: c.weight,
            percent: c.weight as f64 * 100.0 / a.total_weight.max(1) as f64,
        })
        .collect();
    if !wanted.iter().all(|w| {
        contributors
            .iter()
            .any(|c| &c.contributor == w && c.weight > 0)
    }) {
        return Err(CliError::Other(format!(
            "the quoting output was not attributed to both contributors {wanted:?}"
        )));
    }
    step(json, "attributing an output that quotes nothing")?;
    let unrelated = ask(operator, &model.id, UNRELATED.to_owned()).await?;
    if unrelated.attribution.total_weight != 0 {
        return Err(CliError::Other(
            "an output quoting nothing was attributed weight".into(),
        ));
    }
    say(json, "  no span of it occurs in the version: no weight")?;
    Ok(AttributionSummary {
        model: model.id,
        quoting: output,
        spans: a.spans.len(),
        contributors,
        unrelated_spans: unrelated.attribution.spans.len(),
    })
}

async fn ask(client: &Client, model: &str, output: String) -> Result<ModelAttribution, CliError> {
    client
        .post_bytes(
            &format!("/v1/attribute?model={model}"),
            "text/plain; charset=utf-8",
            output.into_bytes(),
        )
        .await
}

async fn contributor(client: &Client) -> Result<String, CliError> {
    Ok(client.get::<StatusView>("/v1/status").await?.contributor)
}

/// The response of the sample's first record: text the quoting output repeats.
fn first_response(sample: &Path) -> Result<String, CliError> {
    let cannot = |e: String| CliError::Other(format!("cannot read {}: {e}", sample.display()));
    let file = std::fs::File::open(sample).map_err(|e| cannot(e.to_string()))?;
    let mut line = String::new();
    std::io::BufReader::new(file)
        .read_line(&mut line)
        .map_err(|e| cannot(e.to_string()))?;
    let record: serde_json::Value =
        serde_json::from_str(&line).map_err(|e| cannot(e.to_string()))?;
    record["response"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| cannot("its first record has no response".into()))
}
