//! `datanet-protocol`: the objects every datanet node, validator and light client speaks.
//!
//! Pure and synchronous: ids and domain-separated BLAKE3 hashing, the canonical byte
//! encoding, Merkle trees, the 2D Reed-Solomon extended square with its DA root and share
//! proofs, reconstruction, bad-encoding fraud proofs, sampling math, and ed25519-signed
//! manifests, attestations and quorum certificates, and the request-response messages nodes
//! exchange with their limits. `docs/protocol.md` describes every
//! encoding byte by byte.
//!
//! ```
//! use datanet_protocol::{CodecId, ExtendedSquare};
//!
//! let square = ExtendedSquare::encode(b"hello datanet", CodecId::RsLeopard).unwrap();
//! let proof = square.share_proof(1, 1).unwrap();
//! let share = square.share(1, 1).unwrap();
//! proof.verify(&square.da_root(), 1, 1, share).unwrap();
//! ```

pub mod chunking;
pub mod codec;
pub mod encoding;
pub mod fraud;
pub mod hash;
pub mod ids;
pub mod merkle;
pub mod quorum_message;
pub mod sampling;
pub mod signed;
pub mod square;
pub mod sync;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;
pub mod wire;

pub use codec::{CodecError, CodecId, ErasureCode};
pub use encoding::{Decode, DecodeError, Encode};
pub use fraud::{BadEncodingProof, FraudError};
pub use hash::{Domain, Hash};
pub use ids::{ChunkId, ContributionId, DaRoot, DatanetId, ModelId};
pub use signed::{
    Attestation, AttestationBody, BatchLeaf, BatchProposal, BatchVote, Datanet, DatanetBody,
    FinalBatch, Manifest, ManifestBody, PublicKey, QuorumCertificate, SecretKey, Signature,
    ValidatorSet,
};
pub use square::{
    Axis, ExtendedSquare, Line, PartialSquare, ProofError, ShareProof, SquareError, SquareHeader,
    SquareParams, TopHalf, SHARE_SIZE,
};
