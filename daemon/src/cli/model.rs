//! `datanet model`: register a model operated by this node's contributor key, and show model
//! records.

use std::io::{self, Write};

use clap::Subcommand;

use super::client::Client;
use super::output::print;
use super::CliError;
use crate::api::models::{ModelView, RegisterModel};

/// What `datanet model` does.
#[derive(Debug, Subcommand)]
pub enum ModelAction {
    /// Register a model trained on anchored datanet versions, signed by this node's
    /// contributor key (the model's operator key), and gossip its record.
    Register {
        /// A short human name.
        #[arg(long)]
        name: String,
        /// The model it was trained from, e.g. `llama-3-8b`.
        #[arg(long)]
        base: String,
        /// A datanet version it was trained on: `DATANET` (its newest anchored epoch) or
        /// `DATANET:EPOCH` (repeatable, one per datanet).
        #[arg(long = "version", required = true)]
        versions: Vec<String>,
        /// The hash (hex) of its weights file.
        #[arg(long)]
        weights: Option<String>,
        /// Its adapter: a contribution id (the adapter file contributed to a datanet of its
        /// own).
        #[arg(long)]
        adapter: Option<String>,
    },
    /// A model's record.
    Show {
        /// The model id.
        id: String,
    },
    /// The model records this node holds.
    List,
}

/// Runs `action` against the daemon behind `client`.
pub(crate) async fn run(client: Client, action: ModelAction, json: bool) -> Result<(), CliError> {
    match action {
        ModelAction::Register {
            name,
            base,
            versions,
            weights,
            adapter,
        } => {
            let request = RegisterModel {
                name,
                base_model: base,
                weights,
                versions,
                adapter,
            };
            let made: ModelView = client.post("/v1/models", &request).await?;
            print(json, &made, |out, m| {
                writeln!(out, "registered model {}", m.id)?;
                model(out, m)
            })
        }
        ModelAction::Show { id } => {
            let view: ModelView = client.get(&format!("/v1/models/{id}")).await?;
            print(json, &view, |out, m| {
                writeln!(out, "model {}", m.id)?;
                model(out, m)
            })
        }
        ModelAction::List => {
            let all: Vec<ModelView> = client.get("/v1/models").await?;
            print(json, &all, |out, all| {
                if all.is_empty() {
                    return writeln!(out, "no models");
                }
                for m in all {
                    writeln!(out, "{}  {}  (base {})", m.id, m.name, m.base_model)?;
                }
                Ok(())
            })
        }
    }
}

/// A model record as text.
fn model(out: &mut dyn Write, m: &ModelView) -> io::Result<()> {
    writeln!(out, "  name        {}", m.name)?;
    writeln!(out, "  base model  {}", m.base_model)?;
    writeln!(out, "  operator    {}", m.operator)?;
    if let Some(weights) = &m.weights {
        writeln!(out, "  weights     {weights}")?;
    }
    if let Some(adapter) = &m.adapter {
        writeln!(out, "  adapter     {adapter}")?;
    }
    writeln!(out, "  trained on")?;
    for v in &m.versions {
        writeln!(
            out,
            "    {} up to epoch {} (batch root {})",
            v.datanet, v.epoch, v.batch_root
        )?;
    }
    Ok(())
}
