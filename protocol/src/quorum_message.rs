//! The messages of a datanet's quorum topic: attestations, batch proposals, batch votes and
//! final batches, each behind a one-byte tag.

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::signed::{Attestation, BatchProposal, BatchVote, FinalBatch};

/// The largest encoded batch proposal a leader makes, so that the final batch (the proposal
/// and up to 1024 signatures of 96 bytes) fits in one gossip message of 1 MiB.
pub const MAX_PROPOSAL_BYTES: usize = 768 * 1024;

/// One message on a datanet's quorum topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuorumMessage {
    /// A validator's verdict on a contribution (tag 1).
    Attestation(Attestation),
    /// An epoch leader's batch proposal (tag 2).
    Proposal(BatchProposal),
    /// A validator's vote for a batch root (tag 3).
    Vote(BatchVote),
    /// A batch signed by a quorum (tag 4).
    Final(Box<FinalBatch>),
}

impl Encode for QuorumMessage {
    fn encode_to(&self, out: &mut Writer) {
        match self {
            QuorumMessage::Attestation(a) => {
                out.u8(1);
                a.encode_to(out);
            }
            QuorumMessage::Proposal(p) => {
                out.u8(2);
                p.encode_to(out);
            }
            QuorumMessage::Vote(v) => {
                out.u8(3);
                v.encode_to(out);
            }
            QuorumMessage::Final(f) => {
                out.u8(4);
                f.encode_to(out);
            }
        }
    }
}

impl Decode for QuorumMessage {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8("quorum message tag")? {
            1 => QuorumMessage::Attestation(Attestation::decode_from(r)?),
            2 => QuorumMessage::Proposal(BatchProposal::decode_from(r)?),
            3 => QuorumMessage::Vote(BatchVote::decode_from(r)?),
            4 => QuorumMessage::Final(Box::new(FinalBatch::decode_from(r)?)),
            tag => {
                return Err(DecodeError::InvalidTag {
                    context: "quorum message tag",
                    value: tag.into(),
                })
            }
        })
    }
}
