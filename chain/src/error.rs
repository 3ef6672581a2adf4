//! What can go wrong talking to the chain, each case saying what to do about it.

use alloy::primitives::Address;

/// A chain operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The RPC endpoint could not be reached or answered with an error.
    #[error("chain RPC {url}: {message}")]
    Rpc {
        /// The endpoint.
        url: String,
        /// What it said, or why it could not be reached.
        message: String,
    },
    /// The endpoint serves another chain than the one configured.
    #[error("the RPC endpoint serves chain {got}, but the configuration names chain {expected}")]
    WrongChain {
        /// The configured chain id.
        expected: u64,
        /// The endpoint's chain id.
        got: u64,
    },
    /// No contract is deployed at the configured hub address.
    #[error("no contract at hub address {0} on this chain: check `chain.hub`")]
    NoHub(Address),
    /// The hub refused a call; `reason` names the contract's error and its arguments.
    #[error("the hub refused {call}: {reason}")]
    Refused {
        /// The call refused.
        call: &'static str,
        /// The contract's custom error, decoded, or the raw revert.
        reason: String,
    },
    /// A transaction was mined but reverted.
    #[error("{call} transaction {tx} reverted in block {block}")]
    Reverted {
        /// The call.
        call: &'static str,
        /// Its transaction hash.
        tx: String,
        /// The block it was mined in.
        block: u64,
    },
    /// An operation that sends transactions was asked of a client without an EVM key.
    #[error("this chain client has no EVM key, so it cannot send transactions")]
    NoSigner,
    /// A key file could not be read, written or parsed.
    #[error("EVM key file {path}: {message}")]
    KeyFile {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The chain's answer does not make sense as a datanet validator set.
    #[error("the hub's validator set for this datanet is not usable: {0}")]
    BadSet(String),
    /// A local anvil could not be found or started.
    #[error("local chain: {0}")]
    DevChain(String),
}
