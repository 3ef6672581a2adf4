//! A node's home folder: where it is, what `init` puts in it, and the configuration and
//! socket path read from it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use datanet_config::Config;

use super::CliError;
use crate::{
    load_or_create_contributor_key, load_or_create_key, peer_id_of, CONTRIBUTOR_KEY_FILE,
    NODE_KEY_FILE,
};

/// The configuration file's name in a home.
pub const CONFIG_FILE: &str = "config.toml";
/// The file holding the TCP API's bearer token.
pub const TOKEN_FILE: &str = "api.token";
/// The store's folder in a home.
pub const STORE_DIR: &str = "store";
/// The folder of the attribution index shards in a home.
pub const ATTRIBUTION_DIR: &str = "attribution";
/// Where uploads are staged while they arrive.
pub const STAGING_DIR: &str = "uploads";

/// The home folder: `--home`, else `$DATANET_HOME` (both handled by the argument parser),
/// else `~/.datanet`.
pub fn resolve(home: Option<PathBuf>) -> Result<PathBuf, CliError> {
    match home {
        Some(home) => Ok(home),
        None => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".datanet"))
            .ok_or_else(|| CliError::Other("no --home given and $HOME is not set".into())),
    }
}

/// What `init` made.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Initialized {
    /// The home folder.
    pub home: PathBuf,
    /// The node's peer id.
    pub peer_id: String,
    /// The contributor key.
    pub contributor: String,
    /// The addresses the node will listen on.
    pub listen: Vec<String>,
    /// The peers it will dial at start.
    pub bootstrap: Vec<String>,
    /// The validator key, when one was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validator: Option<String>,
    /// The EVM address of the key that signs anchors, made with the validator key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evm: Option<String>,
}

/// The validator key file's default name in a home.
pub const VALIDATOR_KEY_FILE: &str = "validator.key";

/// Makes the validator key of an initialized `home` (mode 0600) unless it has one; returns
/// its public key and whether it was made now.
pub fn add_validator(home: &Path) -> Result<(String, bool), CliError> {
    let config = load_config(home)?;
    let path = validator_key_path(home, &config);
    let existed = path.exists();
    let key =
        crate::load_or_create_validator_key(&path).map_err(|e| CliError::Other(e.to_string()))?;
    crate::load_or_create_evm_key(&home_path(home, &config.chain.evm_key))
        .map_err(|e| CliError::Other(e.to_string()))?;
    Ok((key.public().to_string(), !existed))
}

/// Where `config` puts the validator key of `home`.
pub fn validator_key_path(home: &Path, config: &Config) -> PathBuf {
    home_path(home, &config.validator.key)
}

/// `path` if absolute, else `path` inside `home`: how the configuration names files.
pub fn home_path(home: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        home.join(path)
    }
}

/// Creates `home` with its keys (0600), API token (0600) and `config.toml`: the shipped
/// defaults with `node.home` set and each `(section.key, TOML value)` of `settings` put in
/// place of the default. Refuses a home that already has a configuration or a key.
pub fn init(
    home: &Path,
    settings: &[(&str, String)],
    validator: bool,
) -> Result<Initialized, CliError> {
    for existing in [CONFIG_FILE, NODE_KEY_FILE, CONTRIBUTOR_KEY_FILE] {
        if home.join(existing).exists() {
            return Err(CliError::Other(format!(
                "{} already exists: this home is initialized, and init never overwrites it",
                home.join(existing).display()
            )));
        }
    }
    let not_writable =
        |e: std::io::Error| CliError::Other(format!("cannot create {}: {e}", home.display()));
    std::fs::create_dir_all(home).map_err(not_writable)?;
    std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700)).map_err(not_writable)?;
    let mut settings = settings.to_vec();
    settings.push(("node.home", toml_string(&home.display().to_string())));
    if validator {
        settings.push(("validator.enabled", "true".to_owned()));
    }
    let text = config_text(&settings);
    let parsed = Config::parse(&text, CONFIG_FILE, std::iter::empty())
        .map_err(|e| CliError::Other(e.to_string()))?;
    let node_key = load_or_create_key(home).map_err(|e| CliError::Other(e.to_string()))?;
    let contributor =
        load_or_create_contributor_key(home).map_err(|e| CliError::Other(e.to_string()))?;
    write_private(
        &home.join(TOKEN_FILE),
        &hex::encode(rand::random::<[u8; 32]>()),
    )?;
    write_private(&home.join(CONFIG_FILE), &text)?;
    let (validator, evm) = if validator {
        let key = crate::load_or_create_validator_key(&validator_key_path(home, &parsed))
            .map_err(|e| CliError::Other(e.to_string()))?;
        let evm = crate::load_or_create_evm_key(&home_path(home, &parsed.chain.evm_key))
            .map_err(|e| CliError::Other(e.to_string()))?;
        (
            Some(key.public().to_string()),
            Some(evm.address().to_string()),
        )
    } else {
        (None, None)
    };
    Ok(Initialized {
        validator,
        evm,
        home: home.to_path_buf(),
        peer_id: peer_id_of(&node_key)
            .map_err(|e| CliError::Other(e.to_string()))?
            .to_string(),
        contributor: contributor.public().to_string(),
        listen: parsed.network.listen,
        bootstrap: parsed.network.bootstrap,
    })
}

/// A TOML string literal.
pub fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// A TOML array of strings.
pub fn toml_strings(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| toml_string(i)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The shipped default configuration, comments kept, with `settings` in place of defaults.
fn config_text(settings: &[(&str, String)]) -> String {
    let mut section = String::new();
    let mut text = String::new();
    for line in datanet_config::DEFAULT_TOML.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
        }
        let key = line
            .split_once(" = ")
            .map(|(k, _)| format!("{section}.{k}"));
        match settings.iter().find(|(k, _)| Some(*k) == key.as_deref()) {
            Some((_, value)) => {
                let name = line.split_once(" = ").map_or(line, |(k, _)| k);
                text.push_str(&format!("{name} = {value}"));
            }
            None => text.push_str(line),
        }
        text.push('\n');
    }
    text
}

fn write_private(path: &Path, text: &str) -> Result<(), CliError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| CliError::Other(format!("cannot write {}: {e}", path.display())))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| CliError::Other(format!("cannot write {}: {e}", path.display())))
}

/// The home's configuration, with `DATANET_*` overrides applied.
pub fn load_config(home: &Path) -> Result<Config, CliError> {
    let path = home.join(CONFIG_FILE);
    if !path.exists() {
        return Err(CliError::Other(format!(
            "{} does not exist: run `datanet init --home {}` first",
            path.display(),
            home.display()
        )));
    }
    Config::load(&path).map_err(|e| CliError::Other(e.to_string()))
}

/// The API socket of a home: from its configuration when it has one, else the default.
pub fn socket(home: &Path) -> PathBuf {
    let configured = load_config(home)
        .map(|c| c.api.socket)
        .unwrap_or_else(|_| PathBuf::from("datanet.sock"));
    home.join(configured)
}
