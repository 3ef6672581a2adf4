//! The node's persistent identity: an ed25519 key in `<home>/node.key`, from which its libp2p
//! peer id derives.

use std::path::Path;

use datanet_protocol::SecretKey;

use crate::NodeError;

/// The key file's name inside a node's home.
pub const NODE_KEY_FILE: &str = "node.key";

/// Loads the node key from `home`, creating it (mode 0600) on first use.
///
/// # Errors
/// [`NodeError::Key`] when the file exists but cannot be read or is not a key, or cannot be
/// created.
pub fn load_or_create_key(home: &Path) -> Result<SecretKey, NodeError> {
    let path = home.join(NODE_KEY_FILE);
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
