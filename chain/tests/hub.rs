//! The hub contract on a real anvil, driven through the crate's client: key binding, datanet
//! registration, stakes as validator sets, anchoring with every refusal the contract makes,
//! slashing, and the gas an anchor costs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use alloy::primitives::{Bytes, U256};
use datanet_chain::bindings::DatanetHub;
use datanet_chain::{
    key_binding, stake_units, AnchorMessage, ChainError, ChainParams, DevChain, EvmKey, Hub,
    HubClient, STAKE_UNIT,
};
use datanet_protocol::signed::{Policy, Threshold, Validator};
use datanet_protocol::{Datanet, DatanetBody, DatanetId, Hash, SecretKey, ValidatorSet};

/// How long a test waits for a transaction to be mined.
const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// One OPEN in wei.
fn open(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// A validator: its network key and its EVM key, with a client that sends from the latter.
struct Member {
    network: SecretKey,
    evm: EvmKey,
    hub: Hub,
}

/// A local chain with the contracts, and `n` funded validators bound to their network keys.
struct Setup {
    chain: DevChain,
    members: Vec<Member>,
    _dir: tempfile::TempDir,
}

impl Setup {
    async fn new(n: usize) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let chain = DevChain::start(&dir.path().join("anvil.log"), None, 3600)
            .await
            .unwrap();
        let mut members = Vec::new();
        for i in 0..n {
            let network = SecretKey::from_seed([i as u8 + 1; 32]);
            let evm = EvmKey::generate();
            chain.fund(evm.address(), 10, open(1000)).await.unwrap();
            let hub = Hub::connect(params(&chain), Some(&evm)).await.unwrap();
            hub.register_validator(&network).await.unwrap();
            members.push(Member { network, evm, hub });
        }
        Setup {
            chain,
            members,
            _dir: dir,
        }
    }

    /// A client sending from a funded account that is no validator.
    async fn outsider(&self) -> (EvmKey, Hub) {
        let evm = EvmKey::generate();
        self.chain
            .fund(evm.address(), 10, open(1000))
            .await
            .unwrap();
        let hub = Hub::connect(params(&self.chain), Some(&evm)).await.unwrap();
        (evm, hub)
    }

    /// Registers a datanet listing every member (equal record stakes), owned by member 0,
    /// and has the first `staked` members stake `amount` OPEN each on it.
    async fn datanet(&self, staked: usize, amount: u64) -> Datanet {
        let set = ValidatorSet::new(
            self.members
                .iter()
                .map(|m| Validator {
                    key: m.network.public(),
                    stake: 1,
                })
                .collect(),
            Threshold::TWO_THIRDS,
        )
        .unwrap();
        let owner = SecretKey::from_seed([200; 32]);
        let body = DatanetBody {
            name: "chain test".into(),
            description: String::new(),
            owner: owner.public(),
            policy: Policy::default(),
            validators: Some(set),
            created_ms: 1,
            nonce: rand::random(),
        };
        let record = Datanet::sign(body, &owner).unwrap();
        self.members[0].hub.register_datanet(&record).await.unwrap();
        for m in &self.members[..staked] {
            m.hub.stake(record.id(), open(amount)).await.unwrap();
        }
        record
    }

    fn message(&self, datanet: DatanetId, epoch: u64, root: u8) -> AnchorMessage {
        self.members[0]
            .hub
            .params()
            .anchor_message(datanet, epoch, Hash([root; 32]), Hash([0; 32]))
    }

    fn signatures(&self, message: &AnchorMessage, who: std::ops::Range<usize>) -> Vec<[u8; 65]> {
        self.members[who]
            .iter()
            .map(|m| message.sign(&m.evm).unwrap())
            .collect()
    }
}

fn params(chain: &DevChain) -> ChainParams {
    ChainParams {
        rpc_url: chain.rpc_url().to_string(),
        chain_id: chain.chain_id(),
        hub: chain.deployment().hub,
        confirmations: 0,
    }
}

/// The name of the contract error a refusal carries.
fn refusal(err: ChainError) -> String {
    match err {
        ChainError::Refused { reason, .. } => reason,
        other => panic!("expected a refusal by the hub, got {other}"),
    }
}

#[tokio::test]
async fn a_client_refuses_another_chain_and_an_address_without_the_hub() {
    let setup = Setup::new(0).await;
    let mut wrong_chain = params(&setup.chain);
    wrong_chain.chain_id += 1;
    assert!(matches!(
        Hub::connect(wrong_chain, None).await,
        Err(ChainError::WrongChain { .. })
    ));
    let mut no_hub = params(&setup.chain);
    no_hub.hub = setup
        .members
        .first()
        .map_or(EvmKey::generate().address(), |m| m.evm.address());
    assert!(matches!(
        Hub::connect(no_hub, None).await,
        Err(ChainError::NoHub(_))
    ));
}

#[tokio::test]
async fn a_network_key_binds_only_with_its_own_signature_for_this_hub_and_chain() {
    let setup = Setup::new(1).await;
    let member = &setup.members[0];
    let chain_params = params(&setup.chain);
    assert_eq!(
        member
            .hub
            .key_owner(&member.network.public())
            .await
            .unwrap(),
        Some(member.evm.address())
    );

    let (evm, hub) = setup.outsider().await;
    let contract = DatanetHub::new(chain_params.hub, hub.provider().clone());
    let key = SecretKey::from_seed([77; 32]);
    let key_bytes = alloy::primitives::B256::from(key.public().to_bytes());
    let attempt = |r, s| {
        let contract = contract.clone();
        async move {
            contract
                .registerValidator(key_bytes, r, s)
                .send()
                .await
                .map(|_| ())
        }
    };
    let attempt_mined = |r, s| {
        let contract = contract.clone();
        let hub = hub.clone();
        async move {
            let tx = *contract
                .registerValidator(key_bytes, r, s)
                .send()
                .await
                .unwrap()
                .tx_hash();
            hub.mined(tx, WAIT).await.unwrap().unwrap()
        }
    };
    let reason = |e: alloy::contract::Error| {
        format!(
            "{:?}",
            e.as_decoded_interface_error::<DatanetHub::DatanetHubErrors>()
        )
    };

    // Another key's signature of the right message.
    let (r, s) = key_binding::sign(
        &SecretKey::from_seed([78; 32]),
        chain_params.chain_id,
        chain_params.hub,
        evm.address(),
    );
    assert!(reason(attempt(r, s).await.unwrap_err()).contains("BadKeyBinding"));
    // The key's signature for another chain, another hub, another address.
    for (chain_id, hub_address, who) in [
        (chain_params.chain_id + 1, chain_params.hub, evm.address()),
        (chain_params.chain_id, evm.address(), evm.address()),
        (
            chain_params.chain_id,
            chain_params.hub,
            member.evm.address(),
        ),
    ] {
        let (r, s) = key_binding::sign(&key, chain_id, hub_address, who);
        assert!(reason(attempt(r, s).await.unwrap_err()).contains("BadKeyBinding"));
    }
    // A non-canonical S (S + L) of a good signature.
    let (r, s) = key_binding::sign(&key, chain_params.chain_id, chain_params.hub, evm.address());
    let l = U256::from_be_bytes(alloy::primitives::hex!(
        "1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed"
    ));
    let s_plus_l = U256::from_le_bytes(s.0) + l;
    let bad_s = alloy::primitives::B256::from(s_plus_l.to_le_bytes::<32>());
    assert!(reason(attempt(r, bad_s).await.unwrap_err()).contains("BadKeyBinding"));
    // A corrupted R.
    let mut bad_r = r;
    bad_r.0[0] ^= 1;
    assert!(reason(attempt(bad_r, s).await.unwrap_err()).contains("BadKeyBinding"));
    // The identity as key (small order) with a signature that satisfies the cofactorless
    // equation for it: R = [S]B with S = 0, so R is the identity too.
    let identity = alloy::primitives::B256::from({
        let mut b = [0u8; 32];
        b[0] = 1;
        b
    });
    let small = contract
        .registerValidator(identity, identity, alloy::primitives::B256::ZERO)
        .send()
        .await
        .unwrap_err();
    assert!(reason(small).contains("BadKeyBinding"));

    // The genuine binding passes, once.
    assert!(attempt_mined(r, s).await.1);
    assert_eq!(
        hub.key_owner(&key.public()).await.unwrap(),
        Some(evm.address())
    );
    assert!(reason(attempt(r, s).await.unwrap_err()).contains("AlreadyRegistered"));
}

#[tokio::test]
async fn the_validator_set_is_the_listed_keys_with_stake_in_network_units() {
    let setup = Setup::new(4).await;
    let record = setup.datanet(3, 5).await;
    let hub = &setup.members[3].hub;
    let registered = hub.datanet(record.id()).await.unwrap().unwrap();
    assert_eq!(registered.policy_hash, record.body().policy.hash());
    assert_eq!(registered.total_stake, open(15));
    let set = hub.validator_set(record.id(), None).await.unwrap().unwrap();
    let stakes: Vec<(String, u64)> = set
        .validators()
        .map(|v| (v.key.to_string(), v.stake))
        .collect();
    let mut expected: Vec<(String, u64)> = setup.members[..3]
        .iter()
        .map(|m| (m.network.public().to_string(), stake_units(open(5))))
        .collect();
    expected.sort();
    assert_eq!(stakes, expected);
    assert_eq!(
        stake_units(open(5)),
        5 * 1_000_000_000_000_000_000 / STAKE_UNIT
    );
    assert_eq!(set.threshold(), Threshold::TWO_THIRDS);

    // Read as of an earlier block, the set is what it was then.
    let before = hub.block_number().await.unwrap();
    setup.members[0]
        .hub
        .stake(record.id(), open(10))
        .await
        .unwrap();
    let then = hub
        .validator_set(record.id(), Some(before))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(then, set);
    let now = hub.validator_set(record.id(), None).await.unwrap().unwrap();
    assert_eq!(
        now.stake(&setup.members[0].network.public()),
        Some(stake_units(open(15)))
    );

    let unknown = DatanetId(Hash([9; 32]));
    assert_eq!(hub.validator_set(unknown, None).await.unwrap(), None);
    let (_, outsider) = setup.outsider().await;
    let err = outsider.stake(record.id(), open(1)).await.unwrap_err();
    assert!(refusal(err).contains("NotListed"));
    let err = setup.members[0]
        .hub
        .register_datanet(&record)
        .await
        .unwrap_err();
    assert!(refusal(err).contains("DatanetExists"));
}

#[tokio::test]
async fn an_anchor_needs_more_than_the_threshold_of_stake_once_per_epoch_in_order() {
    let setup = Setup::new(4).await;
    let record = setup.datanet(4, 10).await;
    let id = record.id();
    let hub = &setup.members[0].hub;

    let message = setup.message(id, 5, 1);
    // Two of four equal stakes is not more than two thirds; neither are two thirds exactly
    // with a third member's signature for another root.
    let err = hub
        .submit_anchor(&message, &setup.signatures(&message, 0..2), None)
        .await
        .unwrap_err();
    assert!(refusal(err).contains("BelowThreshold"));
    // An outsider's signature counts for nothing: refused, not ignored.
    let (outsider, _) = setup.outsider().await;
    let mut with_outsider = setup.signatures(&message, 0..3);
    with_outsider.push(message.sign(&outsider).unwrap());
    let err = hub
        .submit_anchor(&message, &with_outsider, None)
        .await
        .unwrap_err();
    assert!(refusal(err).contains("NotAValidator"));
    // Signatures over another datanet, hub or chain recover to other addresses.
    for other in [
        AnchorMessage {
            datanet: DatanetId(Hash([3; 32])),
            ..message
        },
        AnchorMessage {
            hub: outsider.address(),
            ..message
        },
        AnchorMessage {
            chain_id: message.chain_id + 1,
            ..message
        },
    ] {
        let mut signatures = setup.signatures(&message, 0..2);
        signatures.push(other.sign(&setup.members[2].evm).unwrap());
        let err = hub
            .submit_anchor(&message, &signatures, None)
            .await
            .unwrap_err();
        assert!(refusal(err).contains("NotAValidator"), "{other:?}");
    }
    // A repeated signer, sent as is.
    let contract = DatanetHub::new(hub.params().hub, hub.provider().clone());
    let mut signatures = setup.signatures(&message, 0..3);
    signatures.sort_by_key(|s| message.signer(s));
    signatures.insert(1, signatures[0]);
    let err = contract
        .anchor(
            alloy::primitives::B256::from(id.0 .0),
            5,
            alloy::primitives::B256::from([1; 32]),
            alloy::primitives::B256::ZERO,
            signatures
                .iter()
                .map(|s| Bytes::copy_from_slice(s))
                .collect(),
        )
        .send()
        .await
        .unwrap_err();
    let reason = format!(
        "{:?}",
        err.as_decoded_interface_error::<DatanetHub::DatanetHubErrors>()
    );
    assert!(reason.contains("SignersNotAscending"), "{reason}");

    // Three of four anchor it, and the event tells what was anchored.
    let tx = hub
        .submit_anchor(&message, &setup.signatures(&message, 0..3), None)
        .await
        .unwrap()
        .tx;
    let (block, ok) = hub.mined(tx, WAIT).await.unwrap().unwrap();
    assert!(ok);
    let anchored = hub.anchored(id, 5).await.unwrap().unwrap();
    assert_eq!(
        (anchored.tx, anchored.block, anchored.batch_root),
        (tx, block, Hash([1; 32]))
    );
    assert_eq!(
        (anchored.signed_stake, anchored.total_stake),
        (open(30), open(40))
    );
    assert_eq!(hub.datanet(id).await.unwrap().unwrap().next_epoch, 6);

    // The same epoch again (even with another root), and an older one, are refused.
    for (epoch, root) in [(5, 1), (5, 2), (4, 3)] {
        let again = setup.message(id, epoch, root);
        let err = hub
            .submit_anchor(&again, &setup.signatures(&again, 0..4), None)
            .await
            .unwrap_err();
        assert!(refusal(err).contains("EpochNotAfterLast"));
    }
    assert_eq!(hub.anchored(id, 4).await.unwrap(), None);
}

#[tokio::test]
async fn two_roots_signed_for_one_epoch_forfeit_the_signers_stake() {
    let setup = Setup::new(3).await;
    let record = setup.datanet(3, 100).await;
    let id = record.id();
    let (reporter, reporter_hub) = setup.outsider().await;
    let contract = DatanetHub::new(reporter_hub.params().hub, reporter_hub.provider().clone());
    let slash = |a: &AnchorMessage, sa: [u8; 65], b: &AnchorMessage, sb: [u8; 65]| {
        let contract = contract.clone();
        let (a, b) = (*a, *b);
        async move {
            contract
                .slash(
                    alloy::primitives::B256::from(id.0 .0),
                    a.epoch,
                    [a.batch_root.0.into(), b.batch_root.0.into()],
                    [a.rewards_root.0.into(), b.rewards_root.0.into()],
                    [Bytes::copy_from_slice(&sa), Bytes::copy_from_slice(&sb)],
                )
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "{:?}",
                        e.as_decoded_interface_error::<DatanetHub::DatanetHubErrors>()
                    )
                })
                .map(|pending| *pending.tx_hash())
        }
    };
    let one = setup.message(id, 7, 1);
    let two = setup.message(id, 7, 2);
    let cheat = &setup.members[1].evm;

    // The same root twice is no equivocation; two roots by two validators neither.
    let err = slash(
        &one,
        one.sign(cheat).unwrap(),
        &one,
        one.sign(cheat).unwrap(),
    )
    .await
    .unwrap_err();
    assert!(err.contains("NotAnEquivocation"), "{err}");
    let err = slash(
        &one,
        one.sign(cheat).unwrap(),
        &two,
        two.sign(&setup.members[2].evm).unwrap(),
    )
    .await
    .unwrap_err();
    assert!(err.contains("NotAnEquivocation"), "{err}");

    let tx = slash(
        &one,
        one.sign(cheat).unwrap(),
        &two,
        two.sign(cheat).unwrap(),
    )
    .await
    .unwrap();
    assert!(reporter_hub.mined(tx, WAIT).await.unwrap().unwrap().1);
    let token = datanet_chain::bindings::OpenToken::new(
        setup.chain.deployment().token,
        reporter_hub.provider().clone(),
    );
    assert_eq!(
        token.balanceOf(reporter.address()).call().await.unwrap(),
        open(1000) + open(10)
    );
    assert_eq!(
        reporter_hub.datanet(id).await.unwrap().unwrap().total_stake,
        open(200)
    );
    let set = reporter_hub.validator_set(id, None).await.unwrap().unwrap();
    assert_eq!(set.stake(&setup.members[1].network.public()), None);
    let err = slash(
        &one,
        one.sign(cheat).unwrap(),
        &two,
        two.sign(cheat).unwrap(),
    )
    .await
    .unwrap_err();
    assert!(err.contains("NothingToSlash"), "{err}");
}

#[tokio::test]
async fn an_anchor_costs_at_most_80k_gas_plus_8k_per_signature() {
    for signers in [1usize, 4] {
        let setup = Setup::new(signers).await;
        let record = setup.datanet(signers, 1).await;
        let message = setup.message(record.id(), 0, 1);
        let hub = &setup.members[0].hub;
        let tx = hub
            .submit_anchor(&message, &setup.signatures(&message, 0..signers), None)
            .await
            .unwrap()
            .tx;
        assert!(hub.mined(tx, WAIT).await.unwrap().unwrap().1);
        use alloy::providers::Provider;
        let receipt = hub
            .provider()
            .get_transaction_receipt(tx)
            .await
            .unwrap()
            .unwrap();
        let limit = 80_000 + 8_000 * signers as u64;
        assert!(
            receipt.gas_used <= limit,
            "{signers} signers: {} gas, over {limit}",
            receipt.gas_used
        );
    }
}

/// Sends `call` from `hub`'s key and waits for it to succeed; the hub's refusal otherwise.
async fn send<P, D>(hub: &Hub, call: alloy::contract::CallBuilder<P, D>) -> Result<(), String>
where
    P: alloy::providers::Provider,
    D: alloy::contract::CallDecoder,
{
    match call.send().await {
        Ok(pending) => {
            let tx = *pending.tx_hash();
            assert!(hub.mined(tx, WAIT).await.unwrap().unwrap().1);
            Ok(())
        }
        Err(e) => Err(format!(
            "{:?}",
            e.as_decoded_interface_error::<DatanetHub::DatanetHubErrors>()
        )),
    }
}

#[tokio::test]
async fn stake_withdrawn_stops_counting_at_once_and_leaves_only_after_the_delay() {
    let setup = Setup::new(2).await;
    let record = setup.datanet(2, 10).await;
    let id = record.id();
    let member = &setup.members[0];
    let contract = DatanetHub::new(member.hub.params().hub, member.hub.provider().clone());
    let datanet = alloy::primitives::B256::from(id.0 .0);
    send(&member.hub, contract.requestWithdrawal(datanet, open(4)))
        .await
        .unwrap();
    let hub = &setup.members[1].hub;
    assert_eq!(
        hub.datanet(id).await.unwrap().unwrap().total_stake,
        open(16)
    );
    let set = hub.validator_set(id, None).await.unwrap().unwrap();
    assert_eq!(
        set.stake(&member.network.public()),
        Some(stake_units(open(6)))
    );
    let err = send(&member.hub, contract.withdraw(datanet))
        .await
        .unwrap_err();
    assert!(err.contains("StillBonded"), "{err}");
    let err = send(&member.hub, contract.requestWithdrawal(datanet, open(7)))
        .await
        .unwrap_err();
    assert!(err.contains("BadAmount"), "{err}");

    // An hour later (the setup's delay), the unbonded stake leaves, once.
    use alloy::providers::Provider;
    let _: serde_json::Value = member
        .hub
        .provider()
        .raw_request("evm_increaseTime".into(), (3601u64,))
        .await
        .unwrap();
    let token = datanet_chain::bindings::OpenToken::new(
        setup.chain.deployment().token,
        member.hub.provider().clone(),
    );
    let before = token.balanceOf(member.evm.address()).call().await.unwrap();
    send(&member.hub, contract.withdraw(datanet)).await.unwrap();
    let after = token.balanceOf(member.evm.address()).call().await.unwrap();
    assert_eq!(after - before, open(4));
    let err = send(&member.hub, contract.withdraw(datanet))
        .await
        .unwrap_err();
    assert!(err.contains("BadAmount"), "{err}");
}

#[tokio::test]
async fn an_anchor_stuck_in_the_pool_is_replaced_with_higher_fees_and_mined_once() {
    use alloy::consensus::Transaction as _;
    use alloy::providers::Provider;
    let setup = Setup::new(4).await;
    let record = setup.datanet(4, 10).await;
    let id = record.id();
    let hub = &setup.members[0].hub;
    let provider = hub.provider();
    let message = setup.message(id, 3, 1);
    let signatures = setup.signatures(&message, 0..3);

    // Sent while no block includes it, as when its fees fall behind a spike.
    let _: () = provider
        .raw_request("evm_setAutomine".into(), (false,))
        .await
        .unwrap();
    let first = hub
        .submit_anchor(&message, &signatures, None)
        .await
        .unwrap();
    assert_eq!(hub.receipt(first.tx).await.unwrap(), None);
    assert!(hub.is_pending(first.tx).await.unwrap());

    let fee = |tx| async move {
        provider
            .get_transaction_by_hash(tx)
            .await
            .unwrap()
            .unwrap()
            .max_fee_per_gas()
    };
    let old = fee(first.tx).await;

    // The replacement takes the same nonce with fees at least an eighth higher.
    let second = hub
        .submit_anchor(&message, &signatures, Some(first.tx))
        .await
        .unwrap();
    assert_eq!(second.nonce, first.nonce);
    assert_ne!(second.tx, first.tx);
    let new = fee(second.tx).await;
    assert!(new >= old + old / 8, "{old} then {new}");
    let _: serde_json::Value = provider.raw_request("evm_mine".into(), ()).await.unwrap();
    let (_, ok) = hub.mined(second.tx, WAIT).await.unwrap().unwrap();
    assert!(ok);
    assert_eq!(
        hub.receipt(first.tx).await.unwrap(),
        None,
        "replaced, never mined"
    );
    let anchored = hub.anchored(id, 3).await.unwrap().unwrap();
    assert_eq!(anchored.tx, second.tx);
    assert_eq!(hub.anchor_history(id, 3, 0).await.unwrap().len(), 1);

    // Replacing a transaction that is mined already sends a fresh one, which the hub
    // refuses: the epoch is anchored.
    let _: () = provider
        .raw_request("evm_setAutomine".into(), (true,))
        .await
        .unwrap();
    let err = hub
        .submit_anchor(&message, &signatures, Some(second.tx))
        .await
        .unwrap_err();
    assert!(refusal(err).contains("EpochNotAfterLast"));
}
