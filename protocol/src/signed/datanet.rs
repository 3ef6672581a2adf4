//! Datanet records: a dataset's name, owner, contribution policy and validator set, signed by
//! its owner. The record's hash is the [`DatanetId`].

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};
use crate::hash::{hash, Domain, Hash};
use crate::ids::DatanetId;

use super::{PublicKey, Signable, Signed, Threshold};

/// The longest datanet name, in bytes.
pub const MAX_NAME: usize = 128;
/// The longest description, in bytes.
pub const MAX_DESCRIPTION: usize = 4096;
/// The most accepted media types.
pub const MAX_MEDIA_TYPES: usize = 32;
/// The longest record schema, in bytes.
pub const MAX_SCHEMA: usize = 16 * 1024;

/// What a datanet does with a contribution whose payload exactly repeats an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DuplicateRule {
    /// Accept it.
    Allow = 0,
    /// Reject it with reason `Duplicate`.
    Reject = 1,
}

/// The rules every contribution to a datanet must follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The largest accepted payload, in bytes.
    pub max_contribution_bytes: u64,
    /// Accepted media types; empty accepts any.
    pub media_types: Vec<String>,
    /// A JSON Schema every record must satisfy; empty means no schema.
    pub schema: String,
    /// The share of validator stake an accepting quorum needs.
    pub quorum: Threshold,
    /// What to do with exact duplicates.
    pub duplicates: DuplicateRule,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_contribution_bytes: 1 << 30,
            media_types: Vec::new(),
            schema: String::new(),
            quorum: Threshold::TWO_THIRDS,
            duplicates: DuplicateRule::Reject,
        }
    }
}

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
    /// The id of the validator set that checks contributions.
    pub validator_set: Hash,
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

impl Signable for DatanetBody {
    const DOMAIN: Domain = Domain::Datanet;

    fn signer(&self) -> &PublicKey {
        &self.owner
    }

    fn check(&self) -> Result<(), String> {
        let q = self.policy.quorum;
        if self.name.is_empty() || self.name.len() > MAX_NAME {
            return Err(format!("the name must be 1..={MAX_NAME} bytes"));
        }
        if q.numerator == 0 || q.numerator > q.denominator {
            return Err("the quorum must be in (0, 1]".into());
        }
        let too_long = self.description.len() > MAX_DESCRIPTION
            || self.policy.media_types.len() > MAX_MEDIA_TYPES
            || self
                .policy
                .media_types
                .iter()
                .any(|m| m.len() > super::MAX_MEDIA_TYPE)
            || self.policy.schema.len() > MAX_SCHEMA;
        if too_long {
            return Err("a field exceeds its bound".into());
        }
        Ok(())
    }
}

impl Encode for DatanetBody {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        out.str(&self.name);
        out.str(&self.description);
        self.owner.encode_to(out);
        out.u64(self.policy.max_contribution_bytes);
        out.u32(self.policy.media_types.len() as u32);
        for media_type in &self.policy.media_types {
            out.str(media_type);
        }
        out.str(&self.policy.schema);
        out.u32(self.policy.quorum.numerator);
        out.u32(self.policy.quorum.denominator);
        out.u8(self.policy.duplicates as u8);
        out.hash(&self.validator_set);
        out.u64(self.created_ms);
        out.u64(self.nonce);
    }
}

impl Decode for DatanetBody {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("datanet version")?;
        let name = r.str(MAX_NAME, "datanet name")?;
        let description = r.str(MAX_DESCRIPTION, "datanet description")?;
        let owner = PublicKey::decode_from(r)?;
        let max_contribution_bytes = r.u64("max contribution bytes")?;
        let count = r.len(MAX_MEDIA_TYPES, "media types")?;
        let mut media_types = Vec::with_capacity(count);
        for _ in 0..count {
            media_types.push(r.str(super::MAX_MEDIA_TYPE, "media type")?);
        }
        let schema = r.str(MAX_SCHEMA, "schema")?;
        let quorum = Threshold {
            numerator: r.u32("quorum numerator")?,
            denominator: r.u32("quorum denominator")?,
        };
        let duplicates = match r.u8("duplicate rule")? {
            0 => DuplicateRule::Allow,
            1 => DuplicateRule::Reject,
            v => {
                return Err(DecodeError::InvalidTag {
                    context: "duplicate rule",
                    value: v.into(),
                })
            }
        };
        if name.is_empty() || quorum.numerator == 0 || quorum.numerator > quorum.denominator {
            return Err(DecodeError::invalid(
                "datanet",
                "the name must not be empty and the quorum must be in (0, 1]",
            ));
        }
        Ok(DatanetBody {
            name,
            description,
            owner,
            policy: Policy {
                max_contribution_bytes,
                media_types,
                schema,
                quorum,
                duplicates,
            },
            validator_set: r.hash("validator set id")?,
            created_ms: r.u64("created")?,
            nonce: r.u64("nonce")?,
        })
    }
}
