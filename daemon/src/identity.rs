//! The node's persistent keys: the node key in `<home>/node.key`, from which its libp2p peer
//! id derives, the contributor key in `<home>/contributor.key`, which signs the manifests
//! and datanet records this node makes on its user's behalf, and for a validator the
//! validator key (`validator.key` unless configured otherwise), which signs attestations and
//! batch votes. All are ed25519, mode 0600, each in its own file.

use std::path::Path;

use datanet_protocol::SecretKey;

use crate::NodeError;

/// The node key file's name inside a node's home.
pub const NODE_KEY_FILE: &str = "node.key";
/// The contributor key file's name inside a node's home.
pub const CONTRIBUTOR_KEY_FILE: &str = "contributor.key";

/// The keys a node runs with, loaded by its caller and passed in (so a light client or an
/// in-process test needs no key files).
#[derive(Debug)]
pub struct NodeKeys {
    /// The network key: the node's libp2p identity, from which its peer id derives.
    pub network: SecretKey,
    /// The key that signs this node's contributions and datanet records.
    pub contributor: SecretKey,
    /// The key that signs this node's attestations and batch votes, when it validates.
    pub validator: Option<SecretKey>,
    /// The EVM key that signs anchors and pays for this node's transactions, when a chain
    /// is configured and it has one.
    pub evm: Option<datanet_chain::EvmKey>,
}

impl NodeKeys {
    /// The keys of the node whose home is `home`, each created (mode 0600) on first use.
    ///
    /// # Errors
    /// [`NodeError::Key`] as [`load_or_create_key`].
    pub fn load_or_create(home: &Path) -> Result<Self, NodeError> {
        Ok(NodeKeys {
            network: load_or_create_key(home)?,
            contributor: load_or_create_contributor_key(home)?,
            validator: None,
            evm: None,
        })
    }

    /// Fresh random keys, kept nowhere.
    pub fn generate() -> Self {
        NodeKeys {
            network: SecretKey::generate(),
            contributor: SecretKey::generate(),
            validator: None,
            evm: None,
        }
    }
}

/// The validator key at `path`, which must exist: a validator key is made on purpose, by
/// `datanet init --validator`, never on first use.
///
/// # Errors
/// [`NodeError::Key`] naming the file and how to make it.
pub fn load_validator_key(path: &Path) -> Result<SecretKey, NodeError> {
    if !path.exists() {
        return Err(NodeError::Key(format!(
            "validator.enabled is true but the validator key {} does not exist; make it with \
             `datanet init --validator`",
            path.display()
        )));
    }
    SecretKey::load(path).map_err(|e| NodeError::Key(e.to_string()))
}

/// Creates the EVM key at `path` (mode 0600) unless one is there; returns it.
///
/// # Errors
/// [`NodeError::Key`] when the file cannot be read or written.
pub fn load_or_create_evm_key(path: &Path) -> Result<datanet_chain::EvmKey, NodeError> {
    if path.exists() {
        return datanet_chain::EvmKey::load(path).map_err(|e| NodeError::Key(e.to_string()));
    }
    let key = datanet_chain::EvmKey::generate();
    key.save(path).map_err(|e| NodeError::Key(e.to_string()))?;
    Ok(key)
}

/// Creates the validator key at `path` (mode 0600) unless one is there; returns it.
///
/// # Errors
/// [`NodeError::Key`] when the file cannot be read or written.
pub fn load_or_create_validator_key(path: &Path) -> Result<SecretKey, NodeError> {
    if path.exists() {
        return SecretKey::load(path).map_err(|e| NodeError::Key(e.to_string()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| NodeError::Key(format!("{}: {e}", dir.display())))?;
    }
    let key = SecretKey::generate();
    key.save(path).map_err(|e| NodeError::Key(e.to_string()))?;
    Ok(key)
}

/// Loads the node key from `home`, creating it (mode 0600) on first use.
///
/// # Errors
/// [`NodeError::Key`] when the file exists but cannot be read or is not a key, or cannot be
/// created.
pub fn load_or_create_key(home: &Path) -> Result<SecretKey, NodeError> {
    load_or_create(home, NODE_KEY_FILE)
}

/// Loads the contributor key from `home`, creating it (mode 0600) on first use.
///
/// # Errors
/// As [`load_or_create_key`].
pub fn load_or_create_contributor_key(home: &Path) -> Result<SecretKey, NodeError> {
    load_or_create(home, CONTRIBUTOR_KEY_FILE)
}

fn load_or_create(home: &Path, file: &str) -> Result<SecretKey, NodeError> {
    let path = home.join(file);
    if path.exists() {
        return SecretKey::load(&path).map_err(|e| NodeError::Key(e.to_string()));
    }
    std::fs::create_dir_all(home)
        .map_err(|e| NodeError::Key(format!("{}: {e}", home.display())))?;
    let key = SecretKey::generate();
    key.save(&path).map_err(|e| NodeError::Key(e.to_string()))?;
    Ok(key)
}

/// The libp2p keypair of a node key.
pub(crate) fn libp2p_keypair(key: &SecretKey) -> Result<libp2p::identity::Keypair, NodeError> {
    libp2p::identity::Keypair::ed25519_from_bytes(key.seed())
        .map_err(|e| NodeError::Key(e.to_string()))
}

/// The peer id a node key gives.
///
/// # Errors
/// [`NodeError::Key`] if the key is not usable by libp2p.
pub fn peer_id_of(key: &SecretKey) -> Result<libp2p::PeerId, NodeError> {
    Ok(libp2p_keypair(key)?.public().to_peer_id())
}
