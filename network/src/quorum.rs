//! Messages of a datanet's quorum topic, handed to the node to judge. Whether an attestation
//! or a batch vote counts depends on the datanet's validator set and on what the node has
//! stored, which the network does not hold: so the network decodes each message and waits
//! for the node's [`Judgement`] before gossipsub forwards it, ignores it or penalises its
//! sender.

use datanet_protocol::quorum_message::QuorumMessage;
use datanet_protocol::DatanetId;
use libp2p::gossipsub::MessageAcceptance;
use libp2p::PeerId;
use tokio::sync::oneshot;

/// How long the network waits for a judgement before ignoring the message.
pub(crate) const JUDGEMENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the node decided about a quorum message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// Valid and new: forward it.
    Accept,
    /// Not to be forwarded, but not the sender's fault (already known, or about something this
    /// node has not heard of yet).
    Ignore,
    /// Invalid (a bad signature, a key outside the set, the wrong datanet): drop it and lower
    /// the sender's score.
    Reject,
}

impl Judgement {
    pub(crate) fn acceptance(self) -> MessageAcceptance {
        match self {
            Judgement::Accept => MessageAcceptance::Accept,
            Judgement::Ignore => MessageAcceptance::Ignore,
            Judgement::Reject => MessageAcceptance::Reject,
        }
    }
}

/// A quorum message waiting for the node's judgement.
#[derive(Debug)]
pub struct QuorumGossip {
    /// The datanet whose topic carried it.
    pub datanet: DatanetId,
    /// The peer that forwarded it.
    pub source: PeerId,
    /// The decoded message, its signatures not yet checked.
    pub message: QuorumMessage,
    /// Where the judgement goes.
    pub verdict: Verdict,
}

/// Sends the judgement of one quorum message back to the network. Dropped unsent, the
/// message is ignored.
#[derive(Debug)]
pub struct Verdict(pub(crate) oneshot::Sender<Judgement>);

impl Verdict {
    /// Gives the judgement.
    pub fn give(self, judgement: Judgement) {
        let _ = self.0.send(judgement);
    }
}
