//! Signed objects: a body with a canonical encoding, signed by the key it names.
//!
//! The signature covers the body's hash in the body type's own domain, so a signature over one
//! kind of object can never be replayed as another. Decoding a signed object does not check its
//! signature: call [`Signed::verify`] (or verify a batch) before trusting or forwarding it.

mod attestation;
mod attribution_record;
mod batch;
#[cfg(test)]
mod batch_tests;
mod datanet;
#[cfg(test)]
mod datanet_tests;
mod keys;
mod manifest;
mod model;
mod policy;
mod quorum;
#[cfg(test)]
mod rule_tests;
mod tally;
#[cfg(test)]
mod tests;

pub use attestation::{Attestation, AttestationBody, ReasonCode, Verdict, MAX_ATTESTATION_MESSAGE};
pub use attribution_record::{
    output_hash, AttributionBody, AttributionRecord, AttributionSubmission, MAX_RECORD_WEIGHTS,
    MAX_SUBMITTED_OUTPUT, MIN_RECORD_SPAN,
};
pub use batch::{
    batch_root, leader, BatchLeaf, BatchProposal, BatchVote, BatchVoteBody, FinalBatch,
    ProposalBody, MAX_BATCH_ATTRIBUTIONS, MAX_BATCH_LEAVES, MAX_BATCH_PAYMENTS,
};
pub use datanet::{
    Datanet, DatanetBody, RecordValidators, ValidatorSource, DATANET_VERSION, MAX_DESCRIPTION,
    MAX_NAME,
};
pub use keys::{
    verify_batch, InvalidPublicKey, KeyError, ParsePublicKeyError, PublicKey, SecretKey, Signature,
    SignatureError,
};
pub use manifest::{
    ChunkEntry, Manifest, ManifestBody, ManifestError, MAX_CHUNKS, MAX_CONTRIBUTION_BYTES,
    MAX_MEDIA_TYPE, MAX_METADATA, MAX_METADATA_KEY, MAX_METADATA_VALUE,
};
pub use model::{ModelBody, ModelRecord, TrainedOn, MAX_MODEL_NAME, MAX_MODEL_VERSIONS};
pub use policy::{
    Column, ColumnType, DuplicateRule, Policy, RecordFormat, RecordRules, MAX_COLUMNS,
    MAX_COLUMN_NAME, MAX_MEDIA_TYPES, MAX_RECORD_BYTES, MAX_SCHEMA, PPM,
};
pub use quorum::{
    QuorumCertificate, QuorumError, Threshold, Validator, ValidatorSet, MAX_VALIDATORS,
};
pub use tally::{Standing, Tally};

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::hash::{hash, Domain, Hash};

/// A body that is signed by the key it names.
pub trait Signable: Encode + Decode {
    /// The domain of the hash that is signed.
    const DOMAIN: Domain;

    /// The key that must sign this body.
    fn signer(&self) -> &PublicKey;

    /// Checks the rules the body's decoder enforces, so nothing is signed that peers would
    /// refuse to decode.
    ///
    /// # Errors
    /// A description of the broken rule.
    fn check(&self) -> Result<(), String>;
}

/// A body and its signer's signature over [`Signed::signing_hash`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed<T> {
    body: T,
    signature: Signature,
}

impl<T: Signable> Signed<T> {
    /// Signs `body` with `key`, which must be the key the body names.
    ///
    /// # Errors
    /// [`SignatureError::WrongSigner`], or [`SignatureError::InvalidBody`] when the body
    /// breaks a rule of its type.
    pub fn sign(body: T, key: &SecretKey) -> Result<Self, SignatureError> {
        body.check().map_err(SignatureError::InvalidBody)?;
        if key.public() != *body.signer() {
            return Err(SignatureError::WrongSigner {
                expected: *body.signer(),
                got: key.public(),
            });
        }
        let signature = key.sign(&Self::signing_hash(&body));
        Ok(Signed { body, signature })
    }

    /// The hash a signer signs: the body's encoding hashed in its domain.
    pub fn signing_hash(body: &T) -> Hash {
        hash(T::DOMAIN, &body.to_bytes())
    }

    /// Checks the signature against the signer the body names.
    ///
    /// # Errors
    /// [`SignatureError::Invalid`].
    pub fn verify(&self) -> Result<(), SignatureError> {
        self.body
            .signer()
            .verify(&Self::signing_hash(&self.body), &self.signature)
    }

    /// The `(message, signature, key)` triple for [`verify_batch`].
    pub fn batch_item(&self) -> (Hash, Signature, PublicKey) {
        (
            Self::signing_hash(&self.body),
            self.signature,
            *self.body.signer(),
        )
    }

    /// The signed body.
    pub fn body(&self) -> &T {
        &self.body
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Puts a body and a signature together without checking them, as decoding does.
    pub fn from_parts(body: T, signature: Signature) -> Self {
        Signed { body, signature }
    }
}

impl<T: Signable> Encode for Signed<T> {
    fn encode_to(&self, out: &mut Writer) {
        self.body.encode_to(out);
        self.signature.encode_to(out);
    }
}

impl<T: Signable> Decode for Signed<T> {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Signed {
            body: T::decode_from(r)?,
            signature: Signature::decode_from(r)?,
        })
    }
}
