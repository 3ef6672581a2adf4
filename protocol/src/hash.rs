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
    /// The name a store gives the file holding a batch of one square's columns: its DA root
    /// and column indices (cheap to hash, unlike the megabytes of shares in it).
    ColumnBlob,
    /// One record of a contribution's payload (a JSON line, a CSV row), for finding records
    /// that repeat earlier ones.
    Record,
    /// One leaf of an epoch batch: an accepted contribution.
    BatchLeaf,
    /// A batch proposal, as signed by the epoch's leader.
    BatchProposal,
    /// A validator's vote for a batch root, as signed.
    BatchVote,
    /// The draw that names an epoch's leader.
    Leader,
    /// The name a store gives the file holding one run of a datanet's record index: the
    /// datanet id and the run's number (the domain keeps these names apart from chunk ids).
    RecordRun,
    /// A datanet's policy, as registered on chain beside the datanet.
    Policy,
    /// A model record, as signed by its operator; also its id.
    Model,
    /// A model output submitted for attribution, as its record names it.
    ModelOutput,
    /// An attribution record, as signed by the model's operator; also its id.
    AttributionRecord,
}

impl Domain {
    /// Every domain, in a fixed order.
    pub const ALL: [Domain; 23] = [
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
        Domain::ColumnBlob,
        Domain::Record,
        Domain::BatchLeaf,
        Domain::BatchProposal,
        Domain::BatchVote,
        Domain::Leader,
        Domain::RecordRun,
        Domain::Policy,
        Domain::Model,
        Domain::ModelOutput,
        Domain::AttributionRecord,
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
            Domain::ColumnBlob => "datanet v1 column blob",
            Domain::Record => "datanet v1 record",
            Domain::BatchLeaf => "datanet v1 batch leaf",
            Domain::BatchProposal => "datanet v1 batch proposal",
            Domain::BatchVote => "datanet v1 batch vote",
            Domain::Leader => "datanet v1 leader",
            Domain::RecordRun => "datanet v1 record run",
            Domain::Policy => "datanet v1 policy",
            Domain::Model => "datanet v1 model",
            Domain::ModelOutput => "datanet v1 model output",
            Domain::AttributionRecord => "datanet v1 attribution record",
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

/// BLAKE3 flag bits (BLAKE3 specification, section 2.1) used by [`hash_many`].
mod flags {
    pub(super) const CHUNK_START: u8 = 1;
    pub(super) const CHUNK_END: u8 = 2;
    pub(super) const ROOT: u8 = 8;
    pub(super) const KEYED_HASH: u8 = 16;
}

/// Hashes many inputs of `N` bytes each in `domain`, several at once in SIMD lanes, writing
/// `out[i] = hash(domain, inputs[i])`.
///
/// BLAKE3 hashes one short input a block at a time; hashing 8 or 16 independent inputs side
/// by side in vector registers is several times faster. That is what the square commitment
/// does for every 512-byte share and every 64-byte Merkle node. `N` must be a non-zero
/// multiple of 64 no larger than 1024 (one BLAKE3 chunk), so each input is a whole number of
/// blocks; other sizes, and an `out` of the wrong length, fall back to one-by-one hashing.
pub fn hash_many<const N: usize>(domain: Domain, inputs: &[&[u8; N]], out: &mut [Hash]) {
    let lanes_fit = N > 0 && N % 64 == 0 && N <= 1024 && out.len() == inputs.len();
    if !lanes_fit {
        for (o, input) in out.iter_mut().zip(inputs) {
            *o = hash(domain, &input[..]);
        }
        return;
    }
    let key = blake3::platform::words_from_le_bytes_32(domain.key());
    let mut bytes = vec![0u8; inputs.len() * HASH_LEN];
    blake3::platform::Platform::detect().hash_many(
        inputs,
        &key,
        0,
        blake3::IncrementCounter::No,
        flags::KEYED_HASH,
        flags::CHUNK_START,
        flags::CHUNK_END | flags::ROOT,
        &mut bytes,
    );
    for (o, b) in out.iter_mut().zip(bytes.chunks_exact(HASH_LEN)) {
        o.0.copy_from_slice(b);
    }
}

/// Inner Merkle nodes over many `(left, right)` pairs at once: `out[i]` is the node over the
/// `i`-th pair, hashed in SIMD lanes by [`hash_many`].
pub fn nodes_many<'a>(pairs: impl Iterator<Item = (&'a Hash, &'a Hash)>, out: &mut [Hash]) {
    let blocks: Vec<[u8; 2 * HASH_LEN]> = pairs
        .map(|(left, right)| {
            let mut block = [0u8; 2 * HASH_LEN];
            block[..HASH_LEN].copy_from_slice(&left.0);
            block[HASH_LEN..].copy_from_slice(&right.0);
            block
        })
        .collect();
    let refs: Vec<&[u8; 2 * HASH_LEN]> = blocks.iter().collect();
    hash_many(Domain::Node, &refs, out);
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
    fn hash_many_equals_hashing_one_by_one() {
        fn check<const N: usize>(count: usize) {
            let inputs: Vec<[u8; N]> = (0..count)
                .map(|i| std::array::from_fn(|j| (i * 131 + j * 7) as u8))
                .collect();
            let refs: Vec<&[u8; N]> = inputs.iter().collect();
            let mut out = vec![Hash::default(); count];
            hash_many(Domain::ShareLeaf, &refs, &mut out);
            for (input, h) in inputs.iter().zip(&out) {
                assert_eq!(*h, hash(Domain::ShareLeaf, input), "N={N}");
            }
        }
        for count in [0, 1, 7, 16, 33] {
            check::<64>(count);
            check::<512>(count);
            check::<1024>(count);
            check::<100>(count);
        }
    }

    #[test]
    fn streaming_matches_one_shot() {
        let mut h = Hasher::new(Domain::Payload);
        h.update(b"hello ").update(b"world");
        assert_eq!(h.finalize(), hash(Domain::Payload, b"hello world"));
    }
}
