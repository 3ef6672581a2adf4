//! ed25519 keys and signatures: generation, the key file format, signing and verification.
//!
//! A secret key file holds the 32-byte seed as 64 hex digits and a newline, written with mode
//! 0600 through a temporary file and a rename, so a crash never leaves half a key.
//!
//! One verification rule holds everywhere (docs/protocol.md 6.2): a [`PublicKey`] is the
//! canonical encoding of a point of large order, refused otherwise wherever one is decoded or
//! built; a signature is checked with the ZIP-215 rules (`S < L`, the cofactored equation
//! `[8][S]B = [8]R + [8][h]A`), by [`PublicKey::verify`] one at a time and by [`verify_batch`]
//! many at a time. Both use the same equation, so they reach the same verdict on every input.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signer, SigningKey};
use ed25519_zebra::{batch, VerificationKey, VerificationKeyBytes};

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::hash::Hash;

/// Why a key or signature is unusable.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file's content is not a key.
    #[error("key file {path} is not 64 hex digits and a newline")]
    Format {
        /// The file.
        path: String,
    },
    /// The key file already exists and would be overwritten.
    #[error("key file {path} already exists")]
    Exists {
        /// The file.
        path: String,
    },
}

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signature is not the signer's over this message.
    #[error("invalid signature by {0}")]
    Invalid(PublicKey),
    /// A batch failed; at least one of its signatures is invalid.
    #[error("a signature in the batch of {0} is invalid")]
    Batch(usize),
    /// The body breaks a rule of its type and would not decode, so it is not signed.
    #[error("refusing to sign an invalid body: {0}")]
    InvalidBody(String),
    /// The object names one signer but was signed with another key.
    #[error("signed by {got}, but the object names {expected}")]
    WrongSigner {
        /// The signer the object names.
        expected: PublicKey,
        /// The key that signed.
        got: PublicKey,
    },
}

/// An ed25519 secret key.
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> Self {
        SecretKey(SigningKey::generate(&mut rand::rngs::OsRng))
    }

    /// The key with this 32-byte seed (deterministic keys for tests and devnets).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        SecretKey(SigningKey::from_bytes(&seed))
    }

    /// The matching public key: `[a]B` for the secret scalar `a`, which is canonical and of
    /// large order.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// The 32-byte seed (for handing to libp2p, which derives the same key from it).
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Signs a 32-byte object hash.
    pub fn sign(&self, message: &Hash) -> Signature {
        Signature(self.0.sign(&message.0).to_bytes())
    }

    /// Writes the key to a new file at `path` with mode 0600; refuses to overwrite.
    ///
    /// # Errors
    /// [`KeyError::Exists`] or [`KeyError::Io`].
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        let shown = path.display().to_string();
        let io = |source| KeyError::Io {
            path: shown.clone(),
            source,
        };
        if path.exists() {
            return Err(KeyError::Exists { path: shown });
        }
        let tmp = path.with_extension("tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(io)?;
        file.write_all(format!("{}\n", hex::encode(self.seed())).as_bytes())
            .map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::hard_link(&tmp, path).map_err(io)?;
        std::fs::remove_file(&tmp).map_err(io)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io)?;
        }
        Ok(())
    }

    /// Reads a key written by [`SecretKey::save`].
    ///
    /// # Errors
    /// [`KeyError::Io`] or [`KeyError::Format`].
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: shown.clone(),
            source,
        })?;
        let hex_seed = text.strip_suffix('\n').unwrap_or(&text);
        let mut seed = [0u8; 32];
        hex::decode_to_slice(hex_seed, &mut seed).map_err(|_| KeyError::Format { path: shown })?;
        Ok(SecretKey::from_seed(seed))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public {})", self.public())
    }
}

/// Why 32 bytes are not a [`PublicKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidPublicKey {
    /// The bytes do not decompress to a point of the curve.
    #[error("not the encoding of a curve point")]
    NotAPoint,
    /// The bytes decompress to a point but are not its canonical encoding: `y >= p`, or
    /// `x = 0` with the sign bit set.
    #[error("a non-canonical point encoding (y >= p, or x = 0 with the sign bit set)")]
    NonCanonical,
    /// The point's order divides 8 (the identity among them): anyone can forge a signature
    /// that verifies under such a key.
    #[error("a point of small order, under which anyone can forge signatures")]
    SmallOrder,
}

/// An ed25519 public key, kept compressed: always the canonical encoding of a curve point of
/// large order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// The 32-byte compressed key.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The key for these bytes, if they are the canonical encoding of a point of large
    /// order. Small-order keys are refused because a signature under one proves nothing;
    /// non-canonical encodings because one point would otherwise have several keys.
    ///
    /// # Errors
    /// The [`InvalidPublicKey`] rule the bytes break, checked in the order of its variants.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, InvalidPublicKey> {
        let point = CompressedEdwardsY(*bytes)
            .decompress()
            .ok_or(InvalidPublicKey::NotAPoint)?;
        if point.compress().to_bytes() != *bytes {
            return Err(InvalidPublicKey::NonCanonical);
        }
        if point.is_small_order() {
            return Err(InvalidPublicKey::SmallOrder);
        }
        Ok(PublicKey(*bytes))
    }

    /// Checks `signature` over `message` by this key, with the same rule as
    /// [`verify_batch`].
    ///
    /// # Errors
    /// [`SignatureError::Invalid`].
    pub fn verify(&self, message: &Hash, signature: &Signature) -> Result<(), SignatureError> {
        VerificationKey::try_from(self.0)
            .and_then(|key| key.verify(&signature.to_library(), &message.0))
            .map_err(|_| SignatureError::Invalid(*self))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

/// The text is not a public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParsePublicKeyError {
    /// The text is not 64 hex digits.
    #[error("not an ed25519 public key (64 hex digits): {0:?}")]
    Hex(String),
    /// The text is 64 hex digits, but not of an acceptable key.
    #[error("not an ed25519 public key: {text:?} is {reason}")]
    Key {
        /// The text.
        text: String,
        /// The rule its bytes break.
        reason: InvalidPublicKey,
    },
}

impl FromStr for PublicKey {
    type Err = ParsePublicKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s, &mut bytes).map_err(|_| ParsePublicKeyError::Hex(s.to_owned()))?;
        PublicKey::from_bytes(&bytes).map_err(|reason| ParsePublicKeyError::Key {
            text: s.to_owned(),
            reason,
        })
    }
}

impl Encode for PublicKey {
    fn encode_to(&self, out: &mut Writer) {
        out.raw(&self.0);
    }
}

impl Decode for PublicKey {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let bytes = r.array::<32>("public key")?;
        PublicKey::from_bytes(&bytes).map_err(|e| DecodeError::invalid("public key", e.to_string()))
    }
}

/// A 64-byte ed25519 signature `R || S`; any 64 bytes decode, and verification checks them.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

impl Signature {
    fn to_library(self) -> ed25519_zebra::Signature {
        ed25519_zebra::Signature::from_bytes(&self.0)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", hex::encode(self.0))
    }
}

impl Encode for Signature {
    fn encode_to(&self, out: &mut Writer) {
        out.raw(&self.0);
    }
}

impl Decode for Signature {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.array::<64>("signature").map(Signature)
    }
}

/// Checks many signatures at once, with the same rule as [`PublicKey::verify`]: the
/// cofactored equations combined with random 128-bit coefficients, so the batch passes exactly
/// when every signature would pass alone (a batch holding an invalid signature passes with
/// probability at most 2^-128). An empty batch passes.
///
/// # Errors
/// [`SignatureError::Batch`] if any is invalid (check them one by one to find which).
pub fn verify_batch(items: &[(Hash, Signature, PublicKey)]) -> Result<(), SignatureError> {
    let mut verifier = batch::Verifier::new();
    for (message, signature, key) in items {
        verifier.queue((
            VerificationKeyBytes::from(key.0),
            signature.to_library(),
            &message.0,
        ));
    }
    verifier
        .verify(rand::rngs::OsRng)
        .map_err(|_| SignatureError::Batch(items.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{hash, Domain};

    #[test]
    fn key_file_round_trip_is_private_and_never_overwritten() {
        let dir = std::env::temp_dir().join(format!("datanet-key-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("node.key");
        let _ = std::fs::remove_file(&path);
        let key = SecretKey::generate();
        key.save(&path).unwrap();
        assert_eq!(SecretKey::load(&path).unwrap().public(), key.public());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            SecretKey::generate().save(&path),
            Err(KeyError::Exists { .. })
        ));
        std::fs::write(&path, "nonsense").unwrap();
        assert!(matches!(
            SecretKey::load(&path),
            Err(KeyError::Format { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn signatures_verify_only_for_their_message_and_key() {
        let key = SecretKey::from_seed([1; 32]);
        let msg = hash(Domain::Manifest, b"m");
        let sig = key.sign(&msg);
        assert!(key.public().verify(&msg, &sig).is_ok());
        assert!(key
            .public()
            .verify(&hash(Domain::Manifest, b"n"), &sig)
            .is_err());
        assert!(SecretKey::from_seed([2; 32])
            .public()
            .verify(&msg, &sig)
            .is_err());
    }

    #[test]
    fn batch_fails_if_any_signature_is_bad() {
        let items: Vec<(Hash, Signature, PublicKey)> = (0..8u8)
            .map(|i| {
                let key = SecretKey::from_seed([i; 32]);
                let msg = hash(Domain::Attestation, &[i]);
                (msg, key.sign(&msg), key.public())
            })
            .collect();
        assert!(verify_batch(&items).is_ok());
        let mut bad = items.clone();
        bad[3].1 .0[0] ^= 1;
        assert_eq!(verify_batch(&bad), Err(SignatureError::Batch(8)));
    }

    #[test]
    fn public_keys_parse_and_reject_garbage() {
        let key = SecretKey::generate().public();
        assert_eq!(key.to_string().parse::<PublicKey>(), Ok(key));
        assert!("00".parse::<PublicKey>().is_err());
    }
}
