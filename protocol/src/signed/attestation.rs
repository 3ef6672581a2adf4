//! Attestations: a validator's signed verdict on one contribution. An attestation names no
//! epoch: validators judge at different moments, and the epoch a contribution goes into is
//! fixed by the batch that includes it, not by its votes.

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
    /// What was wrong, for people: at most [`MAX_ATTESTATION_MESSAGE`] bytes of UTF-8, empty
    /// when accepting.
    pub message: String,
}

/// The longest message an attestation carries.
pub const MAX_ATTESTATION_MESSAGE: usize = 512;

impl AttestationBody {
    /// The body of an accepting attestation.
    pub fn accept(contribution: ContributionId, validator: PublicKey) -> Self {
        AttestationBody {
            contribution,
            validator,
            verdict: Verdict::Accept,
            reason: ReasonCode::Ok,
            message: String::new(),
        }
    }

    /// The body of a rejecting attestation for `reason` (not [`ReasonCode::Ok`]), with
    /// `message` cut to [`MAX_ATTESTATION_MESSAGE`] bytes at a character boundary.
    pub fn reject(
        contribution: ContributionId,
        validator: PublicKey,
        reason: ReasonCode,
        message: &str,
    ) -> Self {
        let mut end = message.len().min(MAX_ATTESTATION_MESSAGE);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        AttestationBody {
            contribution,
            validator,
            verdict: Verdict::Reject,
            reason,
            message: message[..end].to_owned(),
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
        rules(self.verdict, self.reason, &self.message)
    }
}

/// The rules of an attestation body: the reason is `Ok` exactly when accepting, and an
/// accepting one carries no message.
fn rules(verdict: Verdict, reason: ReasonCode, message: &str) -> Result<(), String> {
    if (verdict == Verdict::Accept) != (reason == ReasonCode::Ok) {
        return Err("the reason must be Ok exactly when accepting".into());
    }
    if verdict == Verdict::Accept && !message.is_empty() {
        return Err("an accepting attestation carries no message".into());
    }
    if message.len() > MAX_ATTESTATION_MESSAGE {
        return Err(format!(
            "the message is over {MAX_ATTESTATION_MESSAGE} bytes"
        ));
    }
    Ok(())
}

impl Encode for AttestationBody {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        self.contribution.encode_to(out);
        self.validator.encode_to(out);
        out.u8(self.verdict as u8);
        out.u16(self.reason as u16);
        out.str(&self.message);
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
        let message = r.str(MAX_ATTESTATION_MESSAGE, "attestation message")?;
        rules(verdict, reason, &message).map_err(|why| DecodeError::invalid("attestation", why))?;
        Ok(AttestationBody {
            contribution,
            validator,
            verdict,
            reason,
            message,
        })
    }
}
