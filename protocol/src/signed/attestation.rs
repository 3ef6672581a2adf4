//! Attestations: a validator's signed verdict on one contribution in one epoch.

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};
use crate::hash::Domain;
use crate::ids::ContributionId;

use super::{PublicKey, Signable, Signed};

/// A validator's judgement of a contribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The contribution passed every check.
    Accept = 1,
    /// The contribution failed a check, named by the reason code.
    Reject = 2,
}

/// Why a verdict was reached. `Ok` goes with [`Verdict::Accept`] and only with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReasonCode {
    /// Every check passed.
    Ok = 0,
    /// The manifest's signature does not verify.
    BadSignature = 1,
    /// A chunk's bytes do not hash to its id, or the payload to its hash.
    ChunkMismatch = 2,
    /// A DA root is not the correct encoding of its chunk.
    BadEncoding = 3,
    /// The contribution exceeds the datanet's size limit.
    TooLarge = 4,
    /// The media type is not accepted by the datanet.
    Format = 5,
    /// Records do not follow the datanet's schema.
    Schema = 6,
    /// The data exactly duplicates an earlier contribution.
    Duplicate = 7,
    /// The data could not be retrieved from the network.
    Unavailable = 8,
}

impl ReasonCode {
    const ALL: [ReasonCode; 9] = [
        ReasonCode::Ok,
        ReasonCode::BadSignature,
        ReasonCode::ChunkMismatch,
        ReasonCode::BadEncoding,
        ReasonCode::TooLarge,
        ReasonCode::Format,
        ReasonCode::Schema,
        ReasonCode::Duplicate,
        ReasonCode::Unavailable,
    ];
}

/// What a validator signs about a contribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationBody {
    /// The contribution judged.
    pub contribution: ContributionId,
    /// The validator's key.
    pub validator: PublicKey,
    /// Accept or reject.
    pub verdict: Verdict,
    /// Why; [`ReasonCode::Ok`] exactly when accepting.
    pub reason: ReasonCode,
    /// The epoch the attestation belongs to.
    pub epoch: u64,
}

impl AttestationBody {
    /// The body of an accepting attestation.
    pub fn accept(contribution: ContributionId, validator: PublicKey, epoch: u64) -> Self {
        AttestationBody {
            contribution,
            validator,
            verdict: Verdict::Accept,
            reason: ReasonCode::Ok,
            epoch,
        }
    }
}

/// A signed attestation.
pub type Attestation = Signed<AttestationBody>;

impl Signable for AttestationBody {
    const DOMAIN: Domain = Domain::Attestation;

    fn signer(&self) -> &PublicKey {
        &self.validator
    }

    fn check(&self) -> Result<(), String> {
        if (self.verdict == Verdict::Accept) == (self.reason == ReasonCode::Ok) {
            Ok(())
        } else {
            Err("the reason must be Ok exactly when accepting".into())
        }
    }
}

impl Encode for AttestationBody {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        self.contribution.encode_to(out);
        self.validator.encode_to(out);
        out.u8(self.verdict as u8);
        out.u16(self.reason as u16);
        out.u64(self.epoch);
    }
}

impl Decode for AttestationBody {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("attestation version")?;
        let contribution = ContributionId::decode_from(r)?;
        let validator = PublicKey::decode_from(r)?;
        let verdict = match r.u8("verdict")? {
            1 => Verdict::Accept,
            2 => Verdict::Reject,
            v => {
                return Err(DecodeError::InvalidTag {
                    context: "verdict",
                    value: v.into(),
                })
            }
        };
        let code = r.u16("reason code")?;
        let reason = ReasonCode::ALL
            .into_iter()
            .find(|c| *c as u16 == code)
            .ok_or(DecodeError::InvalidTag {
                context: "reason code",
                value: code.into(),
            })?;
        if (verdict == Verdict::Accept) != (reason == ReasonCode::Ok) {
            return Err(DecodeError::invalid(
                "attestation",
                "the reason must be Ok exactly when accepting",
            ));
        }
        Ok(AttestationBody {
            contribution,
            validator,
            verdict,
            reason,
            epoch: r.u64("epoch")?,
        })
    }
}
