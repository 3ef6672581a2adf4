//! Rust bindings of the two contracts, generated from the committed artifacts in
//! `contracts/artifacts/` (ABI and bytecode), so the code that talks to the chain and the code
//! that is deployed come from the same compiled sources.

#![allow(missing_docs, unreachable_pub, clippy::too_many_arguments)]

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    DatanetHub,
    "../contracts/artifacts/DatanetHub.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    OpenToken,
    "../contracts/artifacts/OpenToken.json"
);

alloy::sol! {
    /// The EIP-712 message a validator signs to anchor an epoch batch; the hub's
    /// `ANCHOR_TYPEHASH` is this struct's type hash.
    #[derive(Debug, PartialEq, Eq)]
    struct Anchor {
        bytes32 datanet;
        uint64 epoch;
        bytes32 batchRoot;
        bytes32 rewardsRoot;
    }
}
