//! The messages of a datanet's quorum topic: attestations, batch proposals, batch votes,
//! final batches, anchor signatures and attribution submissions, each behind a one-byte tag.

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::hash::Hash;
use crate::ids::DatanetId;
use crate::signed::{Attestation, AttributionSubmission, BatchProposal, BatchVote, FinalBatch};

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
    /// A validator's EVM signature for anchoring a final batch on chain (tag 5).
    AnchorSignature(AnchorSignature),
    /// A model operator's attribution record with its output, for the validators to
    /// recompute (tag 6).
    Attribution(Box<AttributionSubmission>),
}

/// A validator's EIP-712 signature of the anchor message of one epoch's final batch
/// (protocol.md 15.2), gossiped so that whoever submits the anchor holds a quorum of them.
/// It carries no ed25519 signature: the EVM signature authenticates it, and only a node that
/// knows the chain (its id, the hub, the validators' EVM addresses) can tell whose it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnchorSignature {
    /// The datanet.
    pub datanet: DatanetId,
    /// The epoch.
    pub epoch: u64,
    /// The final batch's root.
    pub batch_root: Hash,
    /// The epoch's rewards root; zero when it pays none.
    pub rewards_root: Hash,
    /// The 65-byte signature: r, s, v (27 or 28).
    pub signature: [u8; 65],
}

impl Encode for AnchorSignature {
    fn encode_to(&self, out: &mut Writer) {
        self.datanet.encode_to(out);
        out.u64(self.epoch);
        out.hash(&self.batch_root);
        out.hash(&self.rewards_root);
        out.raw(&self.signature);
    }
}

impl Decode for AnchorSignature {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(AnchorSignature {
            datanet: DatanetId::decode_from(r)?,
            epoch: r.u64("epoch")?,
            batch_root: r.hash("batch root")?,
            rewards_root: r.hash("rewards root")?,
            signature: r.array("anchor signature")?,
        })
    }
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
            QuorumMessage::AnchorSignature(s) => {
                out.u8(5);
                s.encode_to(out);
            }
            QuorumMessage::Attribution(a) => {
                out.u8(6);
                a.encode_to(out);
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
            5 => QuorumMessage::AnchorSignature(AnchorSignature::decode_from(r)?),
            6 => QuorumMessage::Attribution(Box::new(AttributionSubmission::decode_from(r)?)),
            tag => {
                return Err(DecodeError::InvalidTag {
                    context: "quorum message tag",
                    value: tag.into(),
                })
            }
        })
    }
}
