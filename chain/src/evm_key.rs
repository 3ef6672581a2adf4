//! A validator's EVM signing key: it signs anchor messages (EIP-712) and pays for hub
//! transactions. Kept in its own file beside the network and validator keys, hex encoded,
//! mode 0600, never overwritten.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use alloy::primitives::{Address, B256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;

use crate::error::ChainError;

/// An EVM (secp256k1) signing key.
#[derive(Clone)]
pub struct EvmKey(PrivateKeySigner);

impl EvmKey {
    /// A new random key.
    pub fn generate() -> Self {
        EvmKey(PrivateKeySigner::random())
    }

    /// The key with these 32 secret bytes (anvil's well-known accounts, tests).
    ///
    /// # Errors
    /// [`ChainError::KeyFile`] when the bytes are not a valid secp256k1 scalar.
    pub fn from_bytes(secret: &B256) -> Result<Self, ChainError> {
        PrivateKeySigner::from_bytes(secret)
            .map(EvmKey)
            .map_err(|e| ChainError::KeyFile {
                path: "(in memory)".into(),
                message: e.to_string(),
            })
    }

    /// The key's address.
    pub fn address(&self) -> Address {
        self.0.address()
    }

    /// The signer alloy sends transactions with.
    pub fn signer(&self) -> PrivateKeySigner {
        self.0.clone()
    }

    /// A 65-byte signature (r ‖ s ‖ v, v = 27 or 28) of a 32-byte digest.
    ///
    /// # Errors
    /// [`ChainError::KeyFile`] if signing fails (it does not for a valid key).
    pub fn sign_digest(&self, digest: &B256) -> Result<[u8; 65], ChainError> {
        let signature = self
            .0
            .sign_hash_sync(digest)
            .map_err(|e| ChainError::KeyFile {
                path: "(in memory)".into(),
                message: e.to_string(),
            })?;
        Ok(signature.as_bytes())
    }

    /// Writes the key, hex encoded, to a new file at `path` with mode 0600.
    ///
    /// # Errors
    /// [`ChainError::KeyFile`], also when the file exists.
    pub fn save(&self, path: &Path) -> Result<(), ChainError> {
        let fail = |message: String| ChainError::KeyFile {
            path: path.display().to_string(),
            message,
        };
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| fail(e.to_string()))?;
        let text = format!("{}\n", hex::encode(self.0.to_bytes()));
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| fail(e.to_string()))
    }

    /// Reads a key written by [`EvmKey::save`] (64 hex digits, an optional `0x`).
    ///
    /// # Errors
    /// [`ChainError::KeyFile`] when the file is missing or does not hold a key.
    pub fn load(path: &Path) -> Result<Self, ChainError> {
        let fail = |message: String| ChainError::KeyFile {
            path: path.display().to_string(),
            message,
        };
        let text = fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        let text = text.trim();
        let text = text.strip_prefix("0x").unwrap_or(text);
        let mut secret = [0u8; 32];
        hex::decode_to_slice(text, &mut secret)
            .map_err(|_| fail("expected 64 hex digits".into()))?;
        PrivateKeySigner::from_bytes(&B256::from(secret))
            .map(EvmKey)
            .map_err(|e| fail(e.to_string()))
    }
}

impl std::fmt::Debug for EvmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EvmKey({})", self.address())
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_saved_key_loads_back_private_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evm.key");
        let key = EvmKey::generate();
        key.save(&path).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(EvmKey::load(&path).unwrap().address(), key.address());
        assert!(EvmKey::generate().save(&path).is_err());
        assert_eq!(EvmKey::load(&path).unwrap().address(), key.address());
    }

    #[test]
    fn a_file_that_is_not_a_key_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evm.key");
        fs::write(&path, "not hex\n").unwrap();
        let err = EvmKey::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("evm.key") && err.contains("64 hex digits"),
            "{err}"
        );
    }
}
