//! Datanet records: a dataset's name, owner, contribution policy and validators, signed by its
//! owner. The record's hash is the [`DatanetId`].
//!
//! The record names its validators inline, with their stakes and the quorum threshold, so a
//! node that holds the record can check a quorum certificate without asking anyone else. Code
//! that needs a datanet's validators asks a [`ValidatorSource`] rather than reading the record,
//! so that a later source (stakes held by a hub contract on chain) replaces
//! [`RecordValidators`] in one place.

use std::convert::Infallible;

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::hash::{hash, Domain};
use crate::ids::DatanetId;

use super::{Policy, PublicKey, Signable, Signed, ValidatorSet};

/// The longest datanet name, in bytes.
pub const MAX_NAME: usize = 128;
/// The longest description, in bytes.
pub const MAX_DESCRIPTION: usize = 4096;
/// The version byte that opens a datanet record. Version 1 named its validator set by id
/// only; version 2 names the validators, their stakes and the threshold, and the full
/// record policy.
pub const DATANET_VERSION: u8 = 2;

/// Option tags of the validator set.
const NO_VALIDATORS: u8 = 0;
const VALIDATORS: u8 = 1;

/// What a datanet's owner signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatanetBody {
    /// A short human name.
    pub name: String,
    /// What the dataset is for.
    pub description: String,
    /// The owner's key, which signs the record.
    pub owner: PublicKey,
    /// The contribution rules.
    pub policy: Policy,
    /// The validators that check contributions, their stakes and the quorum threshold;
    /// `None` when the datanet has no validators, so no contribution is ever attested.
    pub validators: Option<ValidatorSet>,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// A number chosen by the owner so identical records get distinct ids.
    pub nonce: u64,
}

/// A signed datanet record.
pub type Datanet = Signed<DatanetBody>;

impl Datanet {
    /// The datanet's id: the hash of the signed record's encoding.
    pub fn id(&self) -> DatanetId {
        DatanetId(hash(Domain::Datanet, &self.to_bytes()))
    }
}

/// Where a datanet's validators and their stakes come from: the one seam between the
/// datanet record and whatever decides who validates.
///
/// [`RecordValidators`] reads them from the signed record. A chain-backed source (a hub
/// contract that registers validators and their stake) implements this trait too, and a node
/// configured with a chain uses it instead; nothing else changes.
pub trait ValidatorSource {
    /// Why the source could not answer.
    type Error;

    /// The validators that check contributions to `datanet`; `None` when nobody does.
    ///
    /// # Errors
    /// The source's own error.
    fn validator_set(&self, datanet: &Datanet) -> Result<Option<ValidatorSet>, Self::Error>;
}

/// The validators named in the datanet record itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordValidators;

impl ValidatorSource for RecordValidators {
    type Error = Infallible;

    fn validator_set(&self, datanet: &Datanet) -> Result<Option<ValidatorSet>, Infallible> {
        Ok(datanet.body().validators.clone())
    }
}

impl Signable for DatanetBody {
    const DOMAIN: Domain = Domain::Datanet;

    fn signer(&self) -> &PublicKey {
        &self.owner
    }

    fn check(&self) -> Result<(), String> {
        if self.name.is_empty() || self.name.len() > MAX_NAME {
            return Err(format!("the name must be 1..={MAX_NAME} bytes"));
        }
        if self.description.len() > MAX_DESCRIPTION {
            return Err(format!(
                "the description must be at most {MAX_DESCRIPTION} bytes"
            ));
        }
        self.policy.check()
    }
}

impl Encode for DatanetBody {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(DATANET_VERSION);
        out.str(&self.name);
        out.str(&self.description);
        self.owner.encode_to(out);
        self.policy.encode_to(out);
        match &self.validators {
            None => out.u8(NO_VALIDATORS),
            Some(set) => {
                out.u8(VALIDATORS);
                set.encode_to(out);
            }
        }
        out.u64(self.created_ms);
        out.u64(self.nonce);
    }
}

impl Decode for DatanetBody {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8("datanet version")? {
            DATANET_VERSION => {}
            v => {
                return Err(DecodeError::invalid(
                    "datanet record",
                    format!(
                        "encoding version {v} is not read by this build, which reads version \
                         {DATANET_VERSION} only (a signed record cannot be re-encoded: its owner \
                         must create the datanet again)"
                    ),
                ))
            }
        }
        let name = r.str(MAX_NAME, "datanet name")?;
        if name.is_empty() {
            return Err(DecodeError::invalid(
                "datanet",
                "the name must not be empty",
            ));
        }
        let description = r.str(MAX_DESCRIPTION, "datanet description")?;
        let owner = PublicKey::decode_from(r)?;
        let policy = Policy::decode_from(r)?;
        let validators = match r.u8("validators tag")? {
            NO_VALIDATORS => None,
            VALIDATORS => Some(ValidatorSet::decode_from(r)?),
            v => {
                return Err(DecodeError::InvalidTag {
                    context: "validators tag",
                    value: v.into(),
                })
            }
        };
        Ok(DatanetBody {
            name,
            description,
            owner,
            policy,
            validators,
            created_ms: r.u64("created")?,
            nonce: r.u64("nonce")?,
        })
    }
}
