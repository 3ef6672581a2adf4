//! Contributor rewards on a real anvil, driven through the crate's client: a datanet's pool
//! funded in OPEN, contributor keys binding payees, claims of cumulative amounts against
//! anchored rewards roots with every refusal the hub makes, and the gas each step costs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use alloy::primitives::{Address, TxHash, U256};
use alloy::providers::Provider;
use datanet_chain::bindings::{DatanetHub, OpenToken};
use datanet_chain::{
    payee_binding, split, ChainError, ChainParams, DevChain, EvmKey, Hub, HubClient, RewardClaim,
    RewardsTree,
};
use datanet_protocol::signed::{Policy, Threshold, Validator};
use datanet_protocol::{Datanet, DatanetBody, DatanetId, Hash, PublicKey, SecretKey, ValidatorSet};

/// How long a test waits for a transaction to be mined.
const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// `n` OPEN in wei.
fn open(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// A contributor's network key, from a seed.
fn contributor(seed: u8) -> SecretKey {
    SecretKey::from_seed([seed; 32])
}

/// A local chain with the contracts, a datanet staked by `validators` validators, and a
/// funder (a model operator) holding 1 000 OPEN who sends every rewards transaction.
struct Setup {
    chain: DevChain,
    validators: Vec<(EvmKey, Hub)>,
    id: DatanetId,
    funder: Hub,
    _dir: tempfile::TempDir,
}

impl Setup {
    async fn new(validators: usize) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let chain = DevChain::start(&dir.path().join("anvil.log"), None, 3600)
            .await
            .unwrap();
        let mut members = Vec::new();
        let mut keys = Vec::new();
        for i in 0..validators {
            let network = SecretKey::from_seed([i as u8 + 1; 32]);
            let (evm, hub) = client(&chain).await;
            hub.register_validator(&network).await.unwrap();
            keys.push(Validator {
                key: network.public(),
                stake: 1,
            });
            members.push((evm, hub));
        }
        let owner = SecretKey::from_seed([200; 32]);
        let body = DatanetBody {
            name: "rewards test".into(),
            description: String::new(),
            owner: owner.public(),
            policy: Policy::default(),
            validators: Some(ValidatorSet::new(keys, Threshold::TWO_THIRDS).unwrap()),
            created_ms: 1,
            nonce: rand::random(),
        };
        let record = Datanet::sign(body, &owner).unwrap();
        members[0].1.register_datanet(&record).await.unwrap();
        for (_, hub) in &members {
            hub.stake(record.id(), open(10)).await.unwrap();
        }
        let (_, funder) = client(&chain).await;
        Setup {
            chain,
            validators: members,
            id: record.id(),
            funder,
            _dir: dir,
        }
    }

    /// Anchors `epoch` with batch root `[batch; 32]` and `rewards_root`, signed by every
    /// validator; the anchor's transaction.
    async fn anchor(&self, epoch: u64, batch: u8, rewards_root: Hash) -> TxHash {
        let hub = &self.validators[0].1;
        let message = hub
            .params()
            .anchor_message(self.id, epoch, Hash([batch; 32]), rewards_root);
        let signatures: Vec<[u8; 65]> = self
            .validators
            .iter()
            .map(|(evm, _)| message.sign(evm).unwrap())
            .collect();
        let tx = hub
            .submit_anchor(&message, &signatures, None)
            .await
            .unwrap()
            .tx;
        assert!(hub.mined(tx, WAIT).await.unwrap().unwrap().1);
        tx
    }

    /// The OPEN balance of `who`, in wei.
    async fn balance(&self, who: Address) -> U256 {
        let token = OpenToken::new(
            self.chain.deployment().token,
            self.funder.provider().clone(),
        );
        token.balanceOf(who).call().await.unwrap()
    }

    /// The gas `tx` used.
    async fn gas(&self, tx: TxHash) -> u64 {
        self.funder
            .provider()
            .get_transaction_receipt(tx)
            .await
            .unwrap()
            .unwrap()
            .gas_used
    }
}

/// A client sending from a fresh account with ether for gas and 1 000 OPEN.
async fn client(chain: &DevChain) -> (EvmKey, Hub) {
    let evm = EvmKey::generate();
    chain.fund(evm.address(), 10, open(1000)).await.unwrap();
    let params = ChainParams {
        rpc_url: chain.rpc_url().to_string(),
        chain_id: chain.chain_id(),
        hub: chain.deployment().hub,
        confirmations: 0,
    };
    let hub = Hub::connect(params, Some(&evm)).await.unwrap();
    (evm, hub)
}

/// A fresh payee address, which needs no ether: claims are sent by anyone.
fn payee() -> Address {
    EvmKey::generate().address()
}

/// The reason a refusal by the hub carries.
fn refusal(err: ChainError) -> String {
    match err {
        ChainError::Refused { reason, .. } => reason,
        other => panic!("expected a refusal by the hub, got {other}"),
    }
}

/// The claim of `who` in `tree`, anchored as `epoch` with batch root `[batch; 32]`.
fn claim_of(
    setup: &Setup,
    tree: &RewardsTree,
    epoch: u64,
    batch: u8,
    who: &PublicKey,
) -> RewardClaim {
    tree.claim(setup.id, epoch, Hash([batch; 32]), who).unwrap()
}

#[tokio::test]
async fn contributors_bind_payees_and_claim_exactly_their_cumulative_rewards_once() {
    let setup = Setup::new(3).await;
    let (a, b) = (contributor(101), contributor(102));
    let half = open(1) / U256::from(2);
    let tree = RewardsTree::new([(a.public(), open(30)), (b.public(), open(12) + half)]).unwrap();
    setup
        .funder
        .fund_rewards(setup.id, open(100))
        .await
        .unwrap();
    assert_eq!(
        setup.funder.rewards_funded(setup.id, None).await.unwrap(),
        open(100)
    );
    setup.anchor(0, 1, tree.root()).await;

    // Without a payee there is nobody to pay.
    let claim_a = claim_of(&setup, &tree, 0, 1, &a.public());
    let err = setup.funder.claim_reward(&claim_a).await.unwrap_err();
    assert!(refusal(err).contains("PayeeNotBound"));

    // Anyone submits the bindings (the key's signature is the authority), once per key;
    // another key's signature, or one naming another payee, binds nothing.
    let (payee_a, payee_b) = (payee(), payee());
    let params = setup.funder.params();
    let hub = DatanetHub::new(params.hub, setup.funder.provider().clone());
    for (signer, named) in [(&b, payee_a), (&a, payee_b)] {
        let (r, s) = payee_binding::sign(signer, params.chain_id, params.hub, named);
        let err = hub
            .bindPayee(a.public().to_bytes().into(), payee_a, r, s)
            .send()
            .await
            .unwrap_err();
        let reason = format!(
            "{:?}",
            err.as_decoded_interface_error::<DatanetHub::DatanetHubErrors>()
        );
        assert!(reason.contains("BadPayeeBinding"), "{reason}");
    }
    assert_eq!(setup.funder.payee(&a.public()).await.unwrap(), None);
    setup.funder.bind_payee(&a, payee_a).await.unwrap();
    setup.validators[1].1.bind_payee(&b, payee_b).await.unwrap();
    assert_eq!(
        setup.funder.payee(&a.public()).await.unwrap(),
        Some(payee_a)
    );
    let err = setup.funder.bind_payee(&a, payee()).await.unwrap_err();
    assert!(refusal(err).contains("PayeeAlreadyBound"));

    // Each payee receives exactly its cumulative amount, whoever sends the claim.
    setup.funder.claim_reward(&claim_a).await.unwrap();
    let claim_b = claim_of(&setup, &tree, 0, 1, &b.public());
    setup.validators[2].1.claim_reward(&claim_b).await.unwrap();
    assert_eq!(setup.balance(payee_a).await, open(30));
    assert_eq!(setup.balance(payee_b).await, open(12) + half);
    assert_eq!(
        setup.funder.claimed(setup.id, &a.public()).await.unwrap(),
        open(30)
    );
    assert_eq!(
        setup.funder.rewards_paid(setup.id).await.unwrap(),
        open(42) + half
    );

    // The same leaf again pays nothing.
    let err = setup.funder.claim_reward(&claim_a).await.unwrap_err();
    let reason = refusal(err);
    assert!(reason.contains("NothingToClaim"), "{reason}");
    assert!(reason.contains("nothing left to claim"), "{reason}");
    assert_eq!(setup.balance(payee_a).await, open(30));
}

#[tokio::test]
async fn forged_proofs_inflated_amounts_and_unanchored_roots_are_refused() {
    let setup = Setup::new(3).await;
    let keys: Vec<SecretKey> = (101..105).map(contributor).collect();
    let tree = RewardsTree::new(keys.iter().map(|k| (k.public(), open(5)))).unwrap();
    setup
        .funder
        .fund_rewards(setup.id, open(100))
        .await
        .unwrap();
    setup.anchor(0, 1, tree.root()).await;
    setup.anchor(1, 2, Hash([0; 32])).await;
    for key in &keys {
        setup.funder.bind_payee(key, payee()).await.unwrap();
    }
    let genuine = claim_of(&setup, &tree, 0, 1, &keys[0].public());
    let refused = |claim: RewardClaim| {
        let hub = setup.funder.clone();
        async move { refusal(hub.claim_reward(&claim).await.unwrap_err()) }
    };

    // A proof with one node changed, and the genuine proof of an inflated amount.
    let mut forged = genuine.clone();
    forged.proof[0].0[31] ^= 1;
    assert!(refused(forged).await.contains("BadProof"));
    let inflated = RewardClaim {
        cumulative: open(50),
        ..genuine.clone()
    };
    assert!(refused(inflated).await.contains("BadProof"));
    // Another contributor's proof for this one's key.
    let swapped = RewardClaim {
        contributor: keys[1].public(),
        ..genuine.clone()
    };
    assert!(refused(swapped).await.contains("BadProof"));

    // A root nobody anchored, with a proof that holds in it.
    let inflated_tree = RewardsTree::new([(keys[0].public(), open(50))]).unwrap();
    let unanchored = claim_of(&setup, &inflated_tree, 0, 1, &keys[0].public());
    let reason = refused(unanchored).await;
    assert!(reason.contains("NotAnchored"), "{reason}");
    assert!(reason.contains("not anchored"), "{reason}");
    // The anchored roots under another epoch, or another batch root.
    for (epoch, batch) in [(1, 1), (2, 1), (0, 2)] {
        let moved = claim_of(&setup, &tree, epoch, batch, &keys[0].public());
        assert!(refused(moved).await.contains("NotAnchored"));
    }
    // An epoch anchored with no rewards (zero root): a zero leaf proves nothing there.
    let zero = RewardClaim {
        epoch: 1,
        batch_root: Hash([2; 32]),
        rewards_root: Hash([0; 32]),
        proof: vec![],
        ..genuine.clone()
    };
    assert!(refused(zero).await.contains("NotAnchored"));

    assert_eq!(
        setup.funder.rewards_paid(setup.id).await.unwrap(),
        U256::ZERO
    );
    setup.funder.claim_reward(&genuine).await.unwrap();
    assert_eq!(setup.funder.rewards_paid(setup.id).await.unwrap(), open(5));
}

#[tokio::test]
async fn a_later_epoch_pays_only_the_increase_and_an_older_root_nothing() {
    let setup = Setup::new(3).await;
    let (a, b) = (contributor(101), contributor(102));
    let (payee_a, payee_b) = (payee(), payee());
    setup.funder.bind_payee(&a, payee_a).await.unwrap();
    setup.funder.bind_payee(&b, payee_b).await.unwrap();
    setup
        .funder
        .fund_rewards(setup.id, open(500))
        .await
        .unwrap();

    // Epoch 0 shares 100 OPEN two to one; the wei rounding leaves is carried to epoch 1.
    let first = split(open(100), &[(a.public(), 2), (b.public(), 1)]);
    assert_eq!(
        first
            .amounts
            .iter()
            .fold(first.remainder, |s, (_, x)| s + *x),
        open(100)
    );
    let mut cumulative: std::collections::BTreeMap<PublicKey, U256> =
        first.amounts.iter().copied().collect();
    let epoch0 = RewardsTree::new(cumulative.clone()).unwrap();
    setup.anchor(0, 1, epoch0.root()).await;
    setup
        .funder
        .claim_reward(&claim_of(&setup, &epoch0, 0, 1, &a.public()))
        .await
        .unwrap();
    let paid_a0 = cumulative[&a.public()];
    assert_eq!(setup.balance(payee_a).await, paid_a0);

    // Epoch 1 shares 60 OPEN and the remainder, all to `a`.
    let second = split(open(60) + first.remainder, &[(a.public(), 1)]);
    assert_eq!(second.remainder, U256::ZERO);
    for (key, amount) in &second.amounts {
        *cumulative.entry(*key).or_default() += *amount;
    }
    let epoch1 = RewardsTree::new(cumulative.clone()).unwrap();
    setup.anchor(1, 2, epoch1.root()).await;

    let tx = setup
        .funder
        .claim_reward(&claim_of(&setup, &epoch1, 1, 2, &a.public()))
        .await
        .unwrap();
    assert!(setup.funder.receipt(tx).await.unwrap().unwrap().1);
    assert_eq!(setup.balance(payee_a).await, cumulative[&a.public()]);
    assert_eq!(
        setup.balance(payee_a).await - paid_a0,
        open(60) + first.remainder
    );
    // The older root's lower amount pays nothing now.
    let err = setup
        .funder
        .claim_reward(&claim_of(&setup, &epoch0, 0, 1, &a.public()))
        .await
        .unwrap_err();
    assert!(refusal(err).contains("NothingToClaim"));

    // `b` never claimed at epoch 0: the epoch 1 root pays all of it, then epoch 0 nothing.
    setup
        .funder
        .claim_reward(&claim_of(&setup, &epoch1, 1, 2, &b.public()))
        .await
        .unwrap();
    assert_eq!(setup.balance(payee_b).await, cumulative[&b.public()]);
    let err = setup
        .funder
        .claim_reward(&claim_of(&setup, &epoch0, 0, 1, &b.public()))
        .await
        .unwrap_err();
    assert!(refusal(err).contains("NothingToClaim"));
    assert_eq!(
        setup.funder.rewards_paid(setup.id).await.unwrap(),
        open(160)
    );
}

#[tokio::test]
async fn the_pool_never_pays_more_than_was_funded() {
    let setup = Setup::new(3).await;
    let (a, b) = (contributor(101), contributor(102));
    let (payee_a, payee_b) = (payee(), payee());
    setup.funder.bind_payee(&a, payee_a).await.unwrap();
    setup.funder.bind_payee(&b, payee_b).await.unwrap();

    let err = setup
        .funder
        .fund_rewards(setup.id, U256::ZERO)
        .await
        .unwrap_err();
    assert!(refusal(err).contains("BadAmount"));
    let err = setup
        .funder
        .fund_rewards(DatanetId(Hash([9; 32])), open(1))
        .await
        .unwrap_err();
    assert!(refusal(err).contains("UnknownDatanet"));

    setup.funder.fund_rewards(setup.id, open(10)).await.unwrap();
    let before_topup = setup.funder.block_number().await.unwrap();
    let tree = RewardsTree::new([(a.public(), open(8)), (b.public(), open(5))]).unwrap();
    setup.anchor(0, 1, tree.root()).await;
    setup
        .funder
        .claim_reward(&claim_of(&setup, &tree, 0, 1, &a.public()))
        .await
        .unwrap();
    let claim_b = claim_of(&setup, &tree, 0, 1, &b.public());
    let err = setup.funder.claim_reward(&claim_b).await.unwrap_err();
    let reason = refusal(err);
    assert!(reason.contains("PoolExhausted"), "{reason}");
    assert_eq!(setup.balance(payee_b).await, U256::ZERO);

    // Topped up (by anyone), the same claim pays in full.
    setup.validators[0]
        .1
        .fund_rewards(setup.id, open(3))
        .await
        .unwrap();
    setup.funder.claim_reward(&claim_b).await.unwrap();
    assert_eq!(setup.balance(payee_b).await, open(5));
    assert_eq!(
        setup
            .funder
            .rewards_funded(setup.id, Some(before_topup))
            .await
            .unwrap(),
        open(10)
    );
    assert_eq!(
        setup.funder.rewards_funded(setup.id, None).await.unwrap(),
        open(13)
    );
    assert_eq!(setup.funder.rewards_paid(setup.id).await.unwrap(), open(13));
    // Stakes are held apart from the pool: the hub still holds every validator's stake.
    assert_eq!(setup.balance(setup.chain.deployment().hub).await, open(30));
}

#[tokio::test]
async fn reward_gas_fund_bind_anchor_and_claim() {
    let setup = Setup::new(1).await;
    // 1 024 contributors: a proof of ten nodes.
    let keys: Vec<SecretKey> = (0..1024u32)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..4].copy_from_slice(&i.to_be_bytes());
            SecretKey::from_seed(seed)
        })
        .collect();
    let tree = RewardsTree::new(
        keys.iter()
            .enumerate()
            .map(|(i, k)| (k.public(), open(1) + U256::from(i))),
    )
    .unwrap();

    let fund = setup
        .funder
        .fund_rewards(setup.id, open(100))
        .await
        .unwrap();
    let fund_again = setup
        .funder
        .fund_rewards(setup.id, open(100))
        .await
        .unwrap();
    let bind = setup.funder.bind_payee(&keys[0], payee()).await.unwrap();
    setup.funder.bind_payee(&keys[1], payee()).await.unwrap();
    let anchor = setup.anchor(0, 1, tree.root()).await;
    let first = setup
        .funder
        .claim_reward(&claim_of(&setup, &tree, 0, 1, &keys[0].public()))
        .await
        .unwrap();
    let second = setup
        .funder
        .claim_reward(&claim_of(&setup, &tree, 0, 1, &keys[1].public()))
        .await
        .unwrap();
    let proof_len = tree.proof(&keys[0].public()).unwrap().len();

    let gas = [
        ("fund (first funding of the pool)", fund, 80_000),
        ("fund (a later top-up)", fund_again, 60_000),
        ("bindPayee", bind, 800_000),
        ("anchor (1 signer, nonzero rewards root)", anchor, 88_000),
        ("claim (first claim from the pool)", first, 125_000),
        ("claim (a later claim)", second, 110_000),
    ];
    let mut over = Vec::new();
    for (what, tx, limit) in gas {
        let used = setup.gas(tx).await;
        println!("gas: {what}: {used}");
        if used > limit {
            over.push(format!("{what}: {used} gas, over {limit}"));
        }
    }
    println!("gas: claims with a proof of {proof_len} nodes (1 024 contributors)");
    assert_eq!(proof_len, 10);
    assert!(over.is_empty(), "{over:?}");
}
