//! `datanet-config`: the node's typed configuration.
//!
//! Every key has a default (the development setup); a TOML file overrides some of them, and
//! environment variables `DATANET_<SECTION>_<KEY>` override the file. Loading rejects unknown
//! keys and values out of range with errors that name the file, the line where the file has
//! one, and the key. `config/default.toml` lists and documents every key.
//!
//! ```
//! let config = datanet_config::Config::parse("[network]\nreplicas = 3\n", "example.toml", []).unwrap();
//! assert_eq!(config.network.replicas, 3);
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The shipped default configuration (`config/default.toml`): every key, documented.
pub const DEFAULT_TOML: &str = include_str!("../default.toml");
/// The shipped devnet settings (`config/devnet.toml`), laid over the defaults.
pub const DEVNET_TOML: &str = include_str!("../devnet.toml");

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or names an unknown key or a value of the wrong type.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// The parser's message, with the line and column and the key.
        message: String,
    },
    /// An environment override does not fit its key.
    #[error("environment variable {var}: {message}")]
    Env {
        /// The variable.
        var: String,
        /// What is wrong.
        message: String,
    },
    /// A value is out of range.
    #[error("{file}: key {key}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// The key, as `section.key`.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the node keeps its state.
    pub node: NodeSection,
    /// Peer-to-peer networking.
    pub network: NetworkSection,
    /// Durable storage.
    pub storage: StorageSection,
    /// Background repair of custodied columns.
    pub repair: RepairSection,
    /// The local API.
    pub api: ApiSection,
    /// Validation of contributions, for a node that holds a validator key.
    pub validator: ValidatorSection,
    /// The EVM chain where datanets, stakes and epoch batches are anchored.
    pub chain: ChainSection,
    /// Span-matching attribution of model outputs to contributions.
    pub attribution: AttributionSection,
}

/// `[node]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeSection {
    /// The data folder; `~` is the user's home.
    pub home: PathBuf,
    /// The codec of new contributions: `rs-leopard` or `rs-vandermonde`.
    pub codec: String,
}

impl Default for NodeSection {
    fn default() -> Self {
        NodeSection {
            home: PathBuf::from("~/.datanet"),
            codec: "rs-leopard".into(),
        }
    }
}

/// `[network]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkSection {
    /// Multiaddrs to listen on.
    pub listen: Vec<String>,
    /// Multiaddrs of peers to dial at start.
    pub bootstrap: Vec<String>,
    /// Custodians per column.
    pub replicas: usize,
    /// Custodians that must acknowledge each column for a contribution to be dispersed.
    pub min_acks: usize,
    /// How long a request to a peer may take.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Connections kept open (see `datanet_net::NetConfig::connections`).
    pub connections: usize,
    /// How often the node gossips its presence.
    #[serde(with = "humantime_serde")]
    pub presence_interval: Duration,
}

impl Default for NetworkSection {
    fn default() -> Self {
        NetworkSection {
            listen: vec![
                "/ip4/0.0.0.0/tcp/4001".into(),
                "/ip4/0.0.0.0/udp/4001/quic-v1".into(),
            ],
            bootstrap: Vec::new(),
            replicas: 2,
            min_acks: 2,
            request_timeout: Duration::from_secs(20),
            connections: 16,
            presence_interval: Duration::from_secs(30),
        }
    }
}

/// `[storage]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSection {
    /// How long a written chunk not yet listed by a stored contribution is kept.
    #[serde(with = "humantime_serde")]
    pub staged_grace: Duration,
    /// How often garbage collection runs.
    #[serde(with = "humantime_serde")]
    pub gc_interval: Duration,
}

impl Default for StorageSection {
    fn default() -> Self {
        StorageSection {
            staged_grace: Duration::from_secs(3600),
            gc_interval: Duration::from_secs(600),
        }
    }
}

/// `[repair]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RepairSection {
    /// How often the node checks that it holds every column it owes.
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
    /// How long a storage peer may be gone before the columns it custodied are rebuilt on
    /// the next custodians: a restart within it moves nothing.
    #[serde(with = "humantime_serde")]
    pub grace: Duration,
    /// The most repair fetches per second, in MiB, so that rebuilding columns never starves
    /// contributions and retrievals.
    pub max_mib_per_s: u64,
}

impl Default for RepairSection {
    fn default() -> Self {
        RepairSection {
            interval: Duration::from_secs(10),
            grace: Duration::from_secs(120),
            max_mib_per_s: 32,
        }
    }
}

/// `[api]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSection {
    /// The Unix socket, relative to the home folder unless absolute.
    pub socket: PathBuf,
    /// An optional TCP listener (`host:port`); empty for none. It requires a bearer token.
    pub tcp_listen: String,
    /// Uploads accepted at the same time; more are refused with 503.
    pub max_concurrent_uploads: usize,
    /// How long one API request may take before it is cut off.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
}

impl Default for ApiSection {
    fn default() -> Self {
        ApiSection {
            socket: PathBuf::from("datanet.sock"),
            tcp_listen: String::new(),
            max_concurrent_uploads: 4,
            request_timeout: Duration::from_secs(300),
        }
    }
}

/// `[validator]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValidatorSection {
    /// Whether this node validates the contributions of every datanet whose validator set
    /// lists its validator key.
    pub enabled: bool,
    /// The validator key file (made by `datanet init --validator`), relative to the home
    /// folder unless absolute; kept apart from the node and contributor keys.
    pub key: PathBuf,
    /// The length of an epoch: each datanet's accepted contributions are batched once per
    /// epoch. Every validator of a datanet must use the same length.
    #[serde(with = "humantime_serde")]
    pub epoch: Duration,
    /// How long a validator keeps trying to retrieve a contribution before it attests it
    /// `Unavailable`.
    #[serde(with = "humantime_serde")]
    pub retrieve_timeout: Duration,
}

impl Default for ValidatorSection {
    fn default() -> Self {
        ValidatorSection {
            enabled: false,
            key: PathBuf::from("validator.key"),
            epoch: Duration::from_secs(30),
            retrieve_timeout: Duration::from_secs(120),
        }
    }
}

/// `[attribution]`: whether this node indexes the text of every final batch of the datanets
/// it follows, so that it can say which contributions a model's output quotes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttributionSection {
    /// Whether to build an index shard for each final batch and answer attribution queries.
    pub enabled: bool,
    /// The shortest span of an output, in bytes, that counts as quoting a record: short
    /// spans (common words and phrases) occur everywhere and say nothing about provenance.
    pub min_span: usize,
    /// The longest output a query takes, in bytes.
    pub max_output_bytes: usize,
}

impl Default for AttributionSection {
    fn default() -> Self {
        AttributionSection {
            enabled: false,
            min_span: 32,
            max_output_bytes: 64 * 1024,
        }
    }
}

/// `[chain]`: where the hub contract lives. With `rpc_url` empty the node runs without a
/// chain: validator sets come from datanet records and nothing is anchored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChainSection {
    /// The EVM JSON-RPC endpoint (http or https); empty for no chain.
    pub rpc_url: String,
    /// The chain id the endpoint must serve.
    pub chain_id: u64,
    /// The hub contract's address, `0x` and 40 hex digits.
    pub hub: String,
    /// The EVM key file (made by `datanet init --validator`), relative to the home folder
    /// unless absolute: it signs anchors and pays for the node's transactions.
    pub evm_key: PathBuf,
    /// Blocks on top of an anchor's block before the node counts it as anchored.
    pub confirmations: u64,
}

impl Default for ChainSection {
    fn default() -> Self {
        ChainSection {
            rpc_url: String::new(),
            chain_id: 0,
            hub: String::new(),
            evm_key: PathBuf::from("evm.key"),
            confirmations: 2,
        }
    }
}

impl ChainSection {
    /// Whether a chain is configured.
    pub fn enabled(&self) -> bool {
        !self.rpc_url.is_empty()
    }
}

impl Config {
    /// Loads `path`, then applies `DATANET_<SECTION>_<KEY>` variables from the environment.
    ///
    /// # Errors
    /// Any [`ConfigError`], naming the file and key.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string(), std::env::vars())
    }

    /// Parses `text` (named `file` in errors) and applies the overrides among `vars`.
    ///
    /// # Errors
    /// Any [`ConfigError`].
    pub fn parse(
        text: &str,
        file: &str,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let parse_error = |e: toml::de::Error| ConfigError::Parse {
            file: file.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        };
        toml::from_str::<Config>(text).map_err(parse_error)?;
        let mut table: toml::Table = toml::from_str(text).map_err(parse_error)?;
        apply_env(&mut table, vars)?;
        let config =
            Config::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::Env {
                var: "DATANET_*".into(),
                message: e.to_string(),
            })?;
        config.validate(file)?;
        Ok(config)
    }

    /// Checks ranges and relations between keys.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self, file: &str) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            file: file.to_owned(),
            key: key.to_owned(),
            message,
        };
        if !["rs-leopard", "rs-vandermonde"].contains(&self.node.codec.as_str()) {
            return Err(invalid(
                "node.codec",
                format!("{:?} is not rs-leopard or rs-vandermonde", self.node.codec),
            ));
        }
        if self.network.replicas == 0 {
            return Err(invalid("network.replicas", "must be at least 1".into()));
        }
        if self.network.min_acks == 0 || self.network.min_acks > self.network.replicas {
            return Err(invalid(
                "network.min_acks",
                format!(
                    "{} must be between 1 and network.replicas ({})",
                    self.network.min_acks, self.network.replicas
                ),
            ));
        }
        if self.network.listen.is_empty() {
            return Err(invalid(
                "network.listen",
                "needs at least one address".into(),
            ));
        }
        if !(2..=256).contains(&self.network.connections) {
            return Err(invalid(
                "network.connections",
                format!("{} must be between 2 and 256", self.network.connections),
            ));
        }
        if self.repair.max_mib_per_s == 0 {
            return Err(invalid("repair.max_mib_per_s", "must be at least 1".into()));
        }
        if self.api.max_concurrent_uploads == 0 {
            return Err(invalid(
                "api.max_concurrent_uploads",
                "must be at least 1".into(),
            ));
        }
        if self.chain.enabled() {
            if self.chain.chain_id == 0 {
                return Err(invalid(
                    "chain.chain_id",
                    "must be set when chain.rpc_url is".into(),
                ));
            }
            let hex = self.chain.hub.strip_prefix("0x").unwrap_or("");
            if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid(
                    "chain.hub",
                    format!(
                        "{:?} is not an address (0x and 40 hex digits)",
                        self.chain.hub
                    ),
                ));
            }
        }
        if self.attribution.min_span == 0 {
            return Err(invalid("attribution.min_span", "must be at least 1".into()));
        }
        if !(1..=(1 << 20)).contains(&self.attribution.max_output_bytes) {
            return Err(invalid(
                "attribution.max_output_bytes",
                format!(
                    "{} must be between 1 and 1048576",
                    self.attribution.max_output_bytes
                ),
            ));
        }
        let durations = [
            ("network.request_timeout", self.network.request_timeout),
            ("network.presence_interval", self.network.presence_interval),
            ("storage.gc_interval", self.storage.gc_interval),
            ("repair.interval", self.repair.interval),
            ("api.request_timeout", self.api.request_timeout),
            ("validator.epoch", self.validator.epoch),
            (
                "validator.retrieve_timeout",
                self.validator.retrieve_timeout,
            ),
        ];
        for (key, value) in durations {
            if value.is_zero() {
                return Err(invalid(key, "must be longer than zero".into()));
            }
        }
        Ok(())
    }
}

/// Applies `DATANET_<SECTION>_<KEY>` overrides for every key the configuration has. A value
/// is read as a TOML value (`3`, `true`, `["a", "b"]`, `"text"`), or else as a plain string.
fn apply_env(
    table: &mut toml::Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let known = match toml::Value::try_from(Config::default()) {
        Ok(toml::Value::Table(t)) => t,
        _ => return Ok(()),
    };
    let vars: Vec<(String, String)> = vars.into_iter().collect();
    for (section, keys) in &known {
        let Some(keys) = keys.as_table() else {
            continue;
        };
        for key in keys.keys() {
            let var = format!("DATANET_{}_{}", section, key).to_uppercase();
            let Some((_, raw)) = vars.iter().find(|(name, _)| *name == var) else {
                continue;
            };
            let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or_else(|| toml::Value::String(raw.clone()));
            let entry = table
                .entry(section.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry.as_table_mut() {
                Some(section_table) => {
                    section_table.insert(key.clone(), value);
                }
                None => {
                    return Err(ConfigError::Env {
                        var,
                        message: format!("[{section}] is not a table in the file"),
                    })
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
    }

    #[test]
    fn every_shipped_file_loads_and_default_toml_is_the_default() {
        let default = Config::parse(
            &std::fs::read_to_string(shipped("default.toml")).unwrap(),
            "default.toml",
            [],
        )
        .unwrap();
        assert_eq!(default, Config::default());
        let devnet = Config::parse(
            &std::fs::read_to_string(shipped("devnet.toml")).unwrap(),
            "devnet.toml",
            [],
        )
        .unwrap();
        assert!(devnet
            .network
            .listen
            .iter()
            .all(|a| a.starts_with("/ip4/127.0.0.1/")));
    }

    #[test]
    fn a_typo_names_the_file_the_line_and_the_key() {
        let err =
            Config::parse("[network]\nreplicas = 2\nreplicaz = 3\n", "node.toml", []).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("node.toml: "), "{text}");
        assert!(text.contains("line 3"), "{text}");
        assert!(text.contains("replicaz"), "{text}");
        let err = Config::parse("[netwrk]\n", "node.toml", []).unwrap_err();
        assert!(err.to_string().contains("netwrk"));
    }

    #[test]
    fn wrong_types_and_ranges_are_refused_with_the_key() {
        let err = Config::parse("[repair]\ninterval = \"soon\"\n", "a.toml", []).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        let err =
            Config::parse("[network]\nreplicas = 2\nmin_acks = 3\n", "a.toml", []).unwrap_err();
        assert!(err.to_string().contains("network.min_acks"), "{err}");
        let err = Config::parse("[network]\nconnections = 1\n", "a.toml", []).unwrap_err();
        assert!(err.to_string().contains("network.connections"), "{err}");
        let err = Config::parse("[node]\ncodec = \"rs-fast\"\n", "a.toml", []).unwrap_err();
        assert!(err.to_string().contains("node.codec"), "{err}");
        let err = Config::parse("[attribution]\nmin_span = 0\n", "a.toml", []).unwrap_err();
        assert!(err.to_string().contains("attribution.min_span"), "{err}");
        let err = Config::parse("[attribution]\nmax_output_bytes = 0\n", "a.toml", []).unwrap_err();
        assert!(
            err.to_string().contains("attribution.max_output_bytes"),
            "{err}"
        );
    }

    #[test]
    fn environment_overrides_the_file() {
        let vars = [
            ("DATANET_NETWORK_REPLICAS".to_string(), "4".to_string()),
            (
                "DATANET_NETWORK_BOOTSTRAP".to_string(),
                "[\"/ip4/127.0.0.1/tcp/1\"]".to_string(),
            ),
            ("DATANET_REPAIR_INTERVAL".to_string(), "2s".to_string()),
            ("DATANET_HOME".to_string(), "/elsewhere".to_string()),
        ];
        let config = Config::parse("[network]\nreplicas = 2\n", "a.toml", vars).unwrap();
        assert_eq!(config.network.replicas, 4);
        assert_eq!(
            config.network.bootstrap,
            vec!["/ip4/127.0.0.1/tcp/1".to_string()]
        );
        assert_eq!(config.repair.interval, Duration::from_secs(2));
        let bad = [("DATANET_NETWORK_REPLICAS".to_string(), "many".to_string())];
        assert!(matches!(
            Config::parse("", "a.toml", bad),
            Err(ConfigError::Env { .. })
        ));
    }

    #[test]
    fn a_missing_file_is_a_read_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Config::load(&dir.path().join("absent.toml")).unwrap_err();
        assert!(matches!(err, ConfigError::Read { .. }));
        assert!(err.to_string().contains("absent.toml"));
    }
}
