//! BLAKE3-256 hashing with one domain per object type, and the 32-byte [`Hash`] value.
//!
//! Every hash datanet computes is a BLAKE3 keyed hash whose key is derived from a fixed context
//! string naming its domain (`blake3::derive_key`). Two objects of different types can therefore
//! never share a hash, and a Merkle leaf can never be confused with an inner node.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

/// Length in bytes of every hash.
pub const HASH_LEN: usize = 32;

/// A 32-byte BLAKE3 hash. Displayed and parsed as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; HASH_LEN]);

impl Hash {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }

    /// The value as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

/// Why a hex string is not a hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseHashError {
    /// The string does not have exactly 64 characters.
    #[error("expected 64 hex digits, got {0} characters")]
    Length(usize),
    /// A character is not a hex digit.
    #[error("not a hex digit in {0:?}")]
    NotHex(String),
}

impl FromStr for Hash {
    type Err = ParseHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 2 * HASH_LEN {
            return Err(ParseHashError::Length(s.len()));
        }
        let mut out = [0u8; HASH_LEN];
        hex::decode_to_slice(s, &mut out).map_err(|_| ParseHashError::NotHex(s.to_owned()))?;
        Ok(Hash(out))
    }
}

/// The hashing domains. Each has its own derived key; see `docs/protocol.md` for the context
/// strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// A chunk's bytes: its [`ChunkId`](crate::ChunkId).
    Chunk,
    /// A whole contribution payload.
    Payload,
    /// One 512-byte share of an extended square, as a Merkle leaf.
    ShareLeaf,
    /// Any leaf of a Merkle tree over hashes (row and column roots, batch entries).
    HashLeaf,
    /// An inner Merkle node: the concatenation of its two children.
    Node,
    /// The DA root: square parameters and the root over row and column roots.
    DaRoot,
    /// A manifest, as signed by its contributor.
    Manifest,
    /// A signed manifest: its [`ContributionId`](crate::ContributionId).
    Contribution,
    /// An attestation, as signed by its validator.
    Attestation,
    /// A quorum certificate.
    QuorumCertificate,
    /// A datanet's record.
    Datanet,
    /// A validator set.
    ValidatorSet,
}

impl Domain {
    /// Every domain, in a fixed order.
    pub const ALL: [Domain; 12] = [
        Domain::Chunk,
        Domain::Payload,
        Domain::ShareLeaf,
        Domain::HashLeaf,
        Domain::Node,
        Domain::DaRoot,
        Domain::Manifest,
        Domain::Contribution,
        Domain::Attestation,
        Domain::QuorumCertificate,
        Domain::Datanet,
        Domain::ValidatorSet,
    ];

    /// The context string from which this domain's key is derived.
    pub const fn context(self) -> &'static str {
        match self {
            Domain::Chunk => "datanet v1 chunk",
            Domain::Payload => "datanet v1 payload",
            Domain::ShareLeaf => "datanet v1 share leaf",
            Domain::HashLeaf => "datanet v1 hash leaf",
            Domain::Node => "datanet v1 merkle node",
            Domain::DaRoot => "datanet v1 da root",
            Domain::Manifest => "datanet v1 manifest",
            Domain::Contribution => "datanet v1 contribution",
            Domain::Attestation => "datanet v1 attestation",
            Domain::QuorumCertificate => "datanet v1 quorum certificate",
            Domain::Datanet => "datanet v1 datanet",
            Domain::ValidatorSet => "datanet v1 validator set",
        }
    }

    /// This domain's 32-byte BLAKE3 key, derived once per process.
    pub fn key(self) -> &'static [u8; 32] {
        static KEYS: LazyLock<Vec<[u8; 32]>> = LazyLock::new(|| {
            Domain::ALL
                .iter()
                .map(|d| blake3::derive_key(d.context(), &[]))
                .collect()
        });
        &KEYS[self as usize]
    }
}

/// Hashes `bytes` in `domain`.
pub fn hash(domain: Domain, bytes: &[u8]) -> Hash {
    Hash(*blake3::keyed_hash(domain.key(), bytes).as_bytes())
}

/// A streaming hasher in one domain, for inputs that arrive in pieces.
#[derive(Clone)]
pub struct Hasher(blake3::Hasher);

impl Hasher {
    /// A hasher for `domain`.
    pub fn new(domain: Domain) -> Self {
        Hasher(blake3::Hasher::new_keyed(domain.key()))
    }

    /// Adds `bytes` to the input.
    pub fn update(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update(bytes);
        self
    }

    /// The hash of everything added so far.
    pub fn finalize(&self) -> Hash {
        Hash(*self.0.finalize().as_bytes())
    }
}

/// The inner Merkle node over two children.
pub fn node(left: &Hash, right: &Hash) -> Hash {
    let mut block = [0u8; 2 * HASH_LEN];
    block[..HASH_LEN].copy_from_slice(&left.0);
    block[HASH_LEN..].copy_from_slice(&right.0);
    hash(Domain::Node, &block)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_give_distinct_hashes_of_the_same_bytes() {
        let mut seen: Vec<Hash> = Domain::ALL.iter().map(|d| hash(*d, b"same")).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), Domain::ALL.len());
    }

    #[test]
    fn domain_keys_are_in_declaration_order() {
        for d in Domain::ALL {
            assert_eq!(*d.key(), blake3::derive_key(d.context(), &[]));
        }
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let h = hash(Domain::Chunk, b"x");
        assert_eq!(h.to_string().parse::<Hash>(), Ok(h));
        assert_eq!("ab".parse::<Hash>(), Err(ParseHashError::Length(2)));
        assert!(matches!(
            "z".repeat(64).parse::<Hash>(),
            Err(ParseHashError::NotHex(_))
        ));
    }

    #[test]
    fn streaming_matches_one_shot() {
        let mut h = Hasher::new(Domain::Payload);
        h.update(b"hello ").update(b"world");
        assert_eq!(h.finalize(), hash(Domain::Payload, b"hello world"));
    }
}
