//! Inbound requests as the network hands them out: a storage node answers each from its
//! store through a [`Responder`]; a light node is never handed any.

use datanet_protocol::wire::{Request, Response};
use libp2p::request_response::ResponseChannel;
use libp2p::PeerId;
use tokio::sync::mpsc;

use crate::budget::HeldBoth;

/// One request from a peer, waiting for its answer.
#[derive(Debug)]
pub struct InboundRequest {
    /// The peer that asked.
    pub peer: PeerId,
    /// What it asked.
    pub request: Request,
    /// Where the answer goes.
    pub responder: Responder,
}

/// Sends the answer to one inbound request. It holds the request's share of the inbound
/// byte budget until it answers or is dropped; dropping it unanswered fails the peer's
/// request.
#[derive(Debug)]
pub struct Responder {
    pub(crate) channel: ResponseChannel<Response>,
    pub(crate) responses: mpsc::Sender<(ResponseChannel<Response>, Response)>,
    pub(crate) held: HeldBoth,
}

impl Responder {
    /// Sends `response` to the peer and releases the request's budget.
    pub async fn respond(self, response: Response) {
        let Responder {
            channel,
            responses,
            held,
        } = self;
        let _ = responses.send((channel, response)).await;
        drop(held);
    }
}
