//! Anchoring on a real anvil: four validators, staked on the hub, batch a contribution and
//! the epoch's batch root goes on chain once, signed by a quorum of their EVM keys; a reorg
//! that drops the anchor transaction ends with the epoch anchored once all the same; with the
//! RPC endpoint cut, validation and batching go on and the anchors catch up in order when it
//! returns.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use alloy::primitives::{B256, U256};
use alloy::providers::Provider;
use common::{connect, start_in};
use datanet_chain::bindings::DatanetHub;
use datanet_chain::{AttributionProof, ChainParams, DevChain, EvmKey, Hub, HubClient, RewardsTree};
use datanet_daemon::quorum::lifecycle::Stage;
use datanet_daemon::{AttributionSettings, ModelRequest, Node, NodeError, NodeEvent, NodeKeys};
use datanet_protocol::quorum_message::QuorumMessage;
use datanet_protocol::signed::{
    output_hash, AttributionBody, AttributionRecord, AttributionSubmission, ModelRecord, Policy,
    Threshold, TrainedOn, Validator,
};
use datanet_protocol::test_utils::sample_model;
use datanet_protocol::{ContributionId, DatanetId, SecretKey, ValidatorSet};
use datanet_storage::{Anchor, AnchorState};
use tempfile::TempDir;
use tokio::sync::broadcast::error::TryRecvError;

/// How long anchoring may take here: a certificate, a batch and a few blocks.
const ANCHOR_WITHIN: Duration = Duration::from_secs(60);
/// Epochs short enough for a test.
const EPOCH: Duration = Duration::from_millis(1500);

/// One OPEN in wei.
fn open(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// Four validating nodes with EVM keys, funded, bound and connected, anchoring to `chain`.
struct Network {
    chain: DevChain,
    rpc_url: String,
    nodes: Vec<Node>,
    evm: Vec<EvmKey>,
    validators: Vec<SecretKey>,
    contributors: Vec<SecretKey>,
    _homes: Vec<TempDir>,
}

impl Network {
    /// Nodes that reach the chain at `rpc_url` (anvil's own when `None`).
    async fn start(chain: DevChain, confirmations: u64, rpc_url: Option<String>) -> Network {
        let rpc_url = rpc_url.unwrap_or_else(|| chain.rpc_url().to_string());
        let params = ChainParams {
            rpc_url: rpc_url.clone(),
            chain_id: chain.chain_id(),
            hub: chain.deployment().hub,
            confirmations,
        };
        let mut network = Network {
            chain,
            rpc_url,
            nodes: Vec::new(),
            evm: Vec::new(),
            validators: Vec::new(),
            contributors: Vec::new(),
            _homes: Vec::new(),
        };
        for _ in 0..4 {
            let validator = SecretKey::generate();
            let evm = EvmKey::generate();
            network
                .chain
                .fund(evm.address(), 10, open(100))
                .await
                .unwrap();
            Hub::connect(params.clone(), Some(&evm))
                .await
                .unwrap()
                .register_validator(&validator)
                .await
                .unwrap();
            let home = tempfile::tempdir().unwrap();
            let contributor = SecretKey::generate();
            let keys = NodeKeys {
                validator: Some(SecretKey::from_seed(validator.seed())),
                evm: Some(evm.clone()),
                contributor: SecretKey::from_seed(contributor.seed()),
                ..NodeKeys::generate()
            };
            let chain = params.clone();
            let attribution = AttributionSettings {
                folder: home.path().join("attribution"),
                min_span: 32,
                max_output_bytes: 64 * 1024,
            };
            let node = start_in(home.path(), keys, move |c| {
                c.epoch = EPOCH;
                c.retrieve_timeout = Duration::from_secs(20);
                c.chain = Some(chain);
                c.attribution = Some(attribution);
            })
            .await;
            let others: Vec<&Node> = network.nodes.iter().collect();
            connect(&node, &others).await;
            network.nodes.push(node);
            network.evm.push(evm);
            network.validators.push(validator);
            network.contributors.push(contributor);
            network._homes.push(home);
        }
        network
    }

    /// Four nodes on a new anvil whose log goes into `dir`, anchoring with `confirmations`.
    async fn on_fresh_chain(dir: &std::path::Path, confirmations: u64) -> Network {
        let chain = DevChain::start(&dir.join("anvil.log"), None, 3600)
            .await
            .unwrap();
        Network::start(chain, confirmations, None).await
    }

    /// Shuts every node down.
    async fn stop(self) {
        for node in self.nodes {
            node.shutdown().await;
        }
    }

    fn params(&self) -> ChainParams {
        ChainParams {
            rpc_url: self.rpc_url.clone(),
            chain_id: self.chain.chain_id(),
            hub: self.chain.deployment().hub,
            confirmations: 0,
        }
    }

    /// A datanet validated by the four, registered on the hub, each staking 10 OPEN.
    async fn datanet(&self) -> DatanetId {
        self.datanet_staking([10; 4], None).await
    }

    /// A datanet whose record gives the four equal stakes, registered on the hub (with
    /// `policy_hash` instead of the record's, when given), where they stake `stakes` OPEN.
    async fn datanet_staking(&self, stakes: [u64; 4], policy_hash: Option<[u8; 32]>) -> DatanetId {
        let set = ValidatorSet::new(
            self.validators
                .iter()
                .map(|k| Validator {
                    key: k.public(),
                    stake: 1,
                })
                .collect(),
            Threshold::TWO_THIRDS,
        )
        .unwrap();
        let record = self.nodes[0]
            .create_datanet("anchored", "", Policy::default(), Some(set))
            .await
            .unwrap();
        let id = record.id();
        for (i, evm) in self.evm.iter().enumerate() {
            let hub = Hub::connect(self.params(), Some(evm)).await.unwrap();
            match (i, policy_hash) {
                (0, None) => {
                    hub.register_datanet(&record).await.unwrap();
                }
                (0, Some(policy)) => {
                    let mut keys: Vec<B256> = self
                        .validators
                        .iter()
                        .map(|k| B256::from(k.public().to_bytes()))
                        .collect();
                    keys.sort();
                    DatanetHub::new(self.chain.deployment().hub, hub.provider().clone())
                        .registerDatanet(B256::from(id.0 .0), B256::from(policy), keys, 2, 3)
                        .send()
                        .await
                        .unwrap()
                        .get_receipt()
                        .await
                        .unwrap();
                }
                _ => {}
            }
            hub.stake(id, open(stakes[i])).await.unwrap();
        }
        for node in &self.nodes {
            tokio::time::timeout(ANCHOR_WITHIN, async {
                while node.datanet(id).await.is_err() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
            .await
            .expect("every node learns the datanet");
        }
        id
    }

    /// Contributes at node 0 and waits until node 3 holds it in a final batch; the epoch.
    async fn batched(&self, datanet: DatanetId) -> (ContributionId, u64) {
        let payload = format!("one record {}\n", rand::random::<u64>());
        self.batched_from(0, datanet, &payload).await
    }

    /// Contributes `payload` as text at node `at` and waits until node 3 holds it in a final
    /// batch; the epoch.
    async fn batched_from(
        &self,
        at: usize,
        datanet: DatanetId,
        payload: &str,
    ) -> (ContributionId, u64) {
        let id = self.nodes[at]
            .contribute(datanet, payload.as_bytes().to_vec(), "text/plain")
            .await
            .unwrap()
            .contribution;
        let epoch = tokio::time::timeout(ANCHOR_WITHIN, async {
            loop {
                if let Ok(Some(l)) = self.nodes[3].lifecycle(id).await {
                    if let (Stage::Accepted, Some(epoch)) = (l.stage, l.epoch) {
                        return epoch;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
        .expect("the contribution is batched");
        (id, epoch)
    }
}

/// A line the attribution tests quote, contributed at node 0.
const RIVER: &str = "the river bends twice before it reaches the sea at dawn";
/// A line the attribution tests quote, contributed at node 1.
const LANTERNS: &str = "seven lanterns hung above the harbour gate all winter long";

/// A datanet version quoting [`RIVER`] and [`LANTERNS`], and a model trained on it.
struct Quoted {
    datanet: DatanetId,
    /// The contribution holding [`RIVER`] and the epoch of its batch.
    river: (ContributionId, u64),
    /// The contribution holding [`LANTERNS`] and the epoch of its batch.
    lanterns: (ContributionId, u64),
    /// The version's last epoch.
    epoch: u64,
    /// A model node 2 registered on the version.
    model: ModelRecord,
}

impl Network {
    /// A new datanet where node 0 contributes [`RIVER`] (with the lines `more` after it) and
    /// node 1 [`LANTERNS`], both batched and anchored, and a model node 2 registers on it.
    async fn quoted(&self, more: &str) -> Quoted {
        let datanet = self.datanet().await;
        let river = self
            .batched_from(0, datanet, &format!("{RIVER}\n{more}"))
            .await;
        let lanterns = self
            .batched_from(1, datanet, &format!("{LANTERNS}\n"))
            .await;
        let epoch = river.1.max(lanterns.1);
        confirmed(&self.nodes[2], datanet, epoch).await;
        let model = self.nodes[2]
            .register_model(model_request(vec![(datanet, Some(epoch))]))
            .await
            .unwrap();
        Quoted {
            datanet,
            river,
            lanterns,
            epoch,
            model,
        }
    }
}

/// Waits until `node` records the anchor of (`datanet`, `epoch`) as confirmed.
async fn confirmed(node: &Node, datanet: DatanetId, epoch: u64) -> AnchorState {
    tokio::time::timeout(ANCHOR_WITHIN, async {
        loop {
            let anchor = node
                .store()
                .run(move |s| s.anchor(&datanet, epoch))
                .await
                .unwrap();
            if let Some(anchor) = anchor {
                if matches!(anchor.state, AnchorState::Confirmed { .. }) {
                    return anchor.state;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("the anchor is confirmed")
}

/// How many `Anchored` events the hub emitted for (`datanet`, `epoch`), in all blocks.
async fn anchor_events(hub: &Hub, datanet: DatanetId, epoch: u64) -> usize {
    hub.anchor_history(datanet, epoch, 0).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_final_batch_is_anchored_once_and_its_proofs_check_against_the_chain_alone() {
    let dir = tempfile::tempdir().unwrap();
    let network = Network::on_fresh_chain(dir.path(), 1).await;
    let datanet = network.datanet().await;
    let (contribution, epoch) = network.batched(datanet).await;

    let batch = network.nodes[3]
        .store()
        .run(move |s| s.batch(&datanet, epoch))
        .await
        .unwrap()
        .unwrap();
    for node in &network.nodes {
        confirmed(node, datanet, epoch).await;
    }
    let hub = Hub::connect(network.params(), None).await.unwrap();
    let on_chain = hub.anchored(datanet, epoch).await.unwrap().unwrap();
    assert_eq!(on_chain.batch_root, batch.root());
    assert!(
        on_chain.signed_stake * U256::from(3) > on_chain.total_stake * U256::from(2),
        "signed by more than two thirds of the stake"
    );
    assert_eq!(anchor_events(&hub, datanet, epoch).await, 1);
    let AnchorState::Confirmed { tx, block } = confirmed(&network.nodes[0], datanet, epoch).await
    else {
        unreachable!()
    };
    assert_eq!((tx.0, block), (on_chain.tx.0, on_chain.block));

    // The proof of the contribution checks against the chain alone, and every tampered field
    // fails, naming what is wrong.
    let proof = network.nodes[2]
        .attribution_proof(contribution)
        .await
        .unwrap();
    let rpc = network.chain.rpc_url().to_string();
    let leaf = proof.verify(&rpc, 1).await.unwrap();
    assert_eq!(leaf.contribution, contribution);
    let flip = |hex: &str| {
        let mut bytes = hex::decode(hex).unwrap();
        bytes[0] ^= 1;
        hex::encode(bytes)
    };
    let other = proof.clone();
    let cases: Vec<(AttributionProof, &str)> = vec![
        (
            AttributionProof {
                leaf: flip(&other.leaf),
                ..other.clone()
            },
            "leaf",
        ),
        (
            AttributionProof {
                contribution: flip(&other.contribution),
                ..other.clone()
            },
            "`contribution` does not match",
        ),
        (
            AttributionProof {
                batch_root: flip(&other.batch_root),
                ..other.clone()
            },
            "not in the batch",
        ),
        (
            AttributionProof {
                index: other.index + 1,
                ..other.clone()
            },
            "not in the batch",
        ),
        (
            AttributionProof {
                path: vec!["00".repeat(32)],
                ..other.clone()
            },
            "not in the batch",
        ),
        (
            AttributionProof {
                epoch: other.epoch + 1,
                ..other.clone()
            },
            "no anchor of epoch",
        ),
        (
            AttributionProof {
                block: other.block + 1,
                ..other.clone()
            },
            "no anchor of epoch",
        ),
        (
            AttributionProof {
                datanet: flip(&other.datanet),
                ..other.clone()
            },
            "no anchor of epoch",
        ),
        (
            AttributionProof {
                tx: alloy::primitives::TxHash::ZERO,
                ..other.clone()
            },
            "not `tx`",
        ),
        (
            AttributionProof {
                rewards_root: flip(&other.rewards_root),
                ..other.clone()
            },
            "rewards_root",
        ),
        (
            AttributionProof {
                chain_id: other.chain_id + 1,
                ..other.clone()
            },
            "serves chain",
        ),
        (
            AttributionProof {
                hub: network.evm[0].address(),
                ..other.clone()
            },
            "no contract at hub",
        ),
        (
            AttributionProof {
                format: "other/1".into(),
                ..other.clone()
            },
            "`format`",
        ),
    ];
    for (tampered, reason) in cases {
        let err = tampered.verify(&rpc, 1).await.unwrap_err().to_string();
        assert!(err.contains(reason), "expected {reason:?}, got {err:?}");
    }
    let err = proof.verify(&rpc, 1000).await.unwrap_err().to_string();
    assert!(err.contains("confirmations"), "{err}");

    // A caller that already follows the hub checks through its own client, which must be
    // the chain and hub the proof names.
    assert_eq!(
        proof.verify_against(&hub, 1).await.unwrap().contribution,
        contribution
    );
    let elsewhere = AttributionProof {
        hub: network.evm[0].address(),
        ..proof.clone()
    };
    let err = elsewhere.verify_against(&hub, 1).await.unwrap_err();
    assert!(
        matches!(err, datanet_chain::ProofError::WrongChain { .. }),
        "{err}"
    );

    // The same from the command line, which needs no daemon: exit 0, or 4 naming the fault.
    let file = dir.path().join("proof.json");
    let verify = |proof: &AttributionProof| {
        std::fs::write(&file, serde_json::to_string(proof).unwrap()).unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_datanet"))
            .arg("verify-proof")
            .arg(&file)
            .args(["--rpc", &rpc])
            .output()
            .unwrap()
    };
    let out = verify(&proof);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("valid: contribution"));
    let out = verify(&AttributionProof {
        epoch: proof.epoch + 1,
        ..proof.clone()
    });
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stdout).contains("invalid: the hub has no anchor"));
}

/// A model request naming `versions` and nothing else.
fn model_request(versions: Vec<(DatanetId, Option<u64>)>) -> ModelRequest {
    ModelRequest {
        name: "qa-7b".into(),
        base_model: "llama-3-8b".into(),
        weights: None,
        versions,
        adapter: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_model_names_only_anchored_versions_pinned_to_their_root_and_reaches_every_node() {
    let dir = tempfile::tempdir().unwrap();
    let network = Network::on_fresh_chain(dir.path(), 1).await;
    let datanet = network.datanet().await;
    let (_, epoch) = network.batched(datanet).await;
    let operator = &network.nodes[1];

    let unanchored = operator
        .register_model(model_request(vec![(datanet, Some(epoch + 50))]))
        .await
        .unwrap_err();
    assert!(
        matches!(&unanchored, NodeError::Invalid(m) if m.contains(&format!("no anchored epoch {}", epoch + 50))),
        "{unanchored}"
    );
    let unknown = DatanetId(datanet_protocol::Hash([9; 32]));
    assert!(matches!(
        operator
            .register_model(model_request(vec![(unknown, None)]))
            .await,
        Err(NodeError::Invalid(_))
    ));
    assert!(
        operator.models().await.unwrap().is_empty(),
        "a refused model is not kept"
    );

    confirmed(operator, datanet, epoch).await;
    let root = operator
        .store()
        .run(move |s| s.batch(&datanet, epoch))
        .await
        .unwrap()
        .unwrap()
        .root();
    let model = operator
        .register_model(model_request(vec![(datanet, None)]))
        .await
        .unwrap();
    assert_eq!(
        model.body().versions,
        vec![TrainedOn {
            datanet,
            epoch,
            batch_root: root
        }],
        "the newest anchored epoch, pinned to its batch root"
    );
    assert_eq!(model.body().operator, operator.contributor());
    for node in &network.nodes {
        tokio::time::timeout(ANCHOR_WITHIN, async {
            while node.model(model.id()).await.is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
        .expect("the model record reaches every node by gossip");
        assert_eq!(node.model(model.id()).await.unwrap(), model);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_output_is_attributed_to_the_contributions_it_quotes_in_the_models_anchored_versions() {
    let dir = tempfile::tempdir().unwrap();
    let network = Network::on_fresh_chain(dir.path(), 1).await;
    let Quoted {
        datanet,
        river: (quoted_river, first),
        lanterns: (quoted_lanterns, _),
        epoch,
        model,
    } = network.quoted("an unquoted line\n").await;
    let (river, lanterns) = (RIVER, LANTERNS);
    let attributor = &network.nodes[2];

    let output = format!("As they say, {river}; and {lanterns}.");
    let answer = attributor
        .attribute(model.id(), output.clone().into_bytes())
        .await
        .unwrap();
    let found = &answer.attribution;
    let spans: Vec<&str> = found.spans.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        spans,
        [river, lanterns],
        "each quoted record is one maximal span"
    );
    let weight = |line: &str| (line.len() * line.len()) as u64;
    let contributions: Vec<(ContributionId, u64)> = found
        .contributions
        .iter()
        .map(|c| {
            (
                ContributionId(datanet_protocol::Hash(c.contribution.0)),
                c.weight,
            )
        })
        .collect();
    assert_eq!(
        contributions,
        [
            (quoted_lanterns, weight(lanterns)),
            (quoted_river, weight(river))
        ],
        "a span weighs its length squared, by weight descending"
    );
    let contributors: Vec<([u8; 32], u64)> = found
        .contributors
        .iter()
        .map(|c| (c.contributor.0, c.weight))
        .collect();
    assert_eq!(
        contributors,
        [
            (network.nodes[1].contributor().to_bytes(), weight(lanterns)),
            (network.nodes[0].contributor().to_bytes(), weight(river))
        ]
    );
    assert_eq!(found.total_weight, weight(river) + weight(lanterns));

    let unrelated = attributor
        .attribute(
            model.id(),
            b"nothing in this sentence was ever contributed anywhere".to_vec(),
        )
        .await
        .unwrap();
    assert!(unrelated.attribution.spans.is_empty());
    assert_eq!(unrelated.attribution.total_weight, 0);

    for (bad, why) in [
        (Vec::new(), "empty"),
        (b"bad \xff bytes".to_vec(), "not UTF-8"),
    ] {
        let err = attributor.attribute(model.id(), bad).await.unwrap_err();
        assert!(
            matches!(&err, NodeError::Invalid(m) if m.contains(why)),
            "{err}"
        );
    }
    let version = TrainedOn {
        datanet,
        epoch: epoch + 1000,
        batch_root: datanet_protocol::Hash([3; 32]),
    };
    let unanchored = sample_model(&SecretKey::generate(), version);
    let record = unanchored.clone();
    attributor
        .store()
        .run(move |s| s.put_model(&record))
        .await
        .unwrap();
    let err = attributor
        .attribute(unanchored.id(), output.clone().into_bytes())
        .await
        .unwrap_err();
    assert!(matches!(err, NodeError::NotAnchored(_)), "{err}");

    // A shard damaged while its node was down is found at start and built again, byte for
    // byte as before, and answers the same.
    let mut network = network;
    let attributor = network.nodes.remove(2);
    attributor.shutdown().await;
    drop(attributor);
    let home = network._homes[2].path().to_path_buf();
    let shard = home
        .join("attribution")
        .join(datanet.to_string())
        .join(format!("{first}.shard"));
    let sound = std::fs::read(&shard).unwrap();
    let mut damaged = sound.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x40;
    std::fs::write(&shard, &damaged).unwrap();
    let settings = AttributionSettings {
        folder: home.join("attribution"),
        min_span: 32,
        max_output_bytes: 64 * 1024,
    };
    let restarted = start_in(&home, NodeKeys::generate(), move |c| {
        c.attribution = Some(settings);
    })
    .await;
    let others: Vec<&Node> = network.nodes.iter().collect();
    connect(&restarted, &others).await;
    let again = restarted
        .attribute(model.id(), output.into_bytes())
        .await
        .unwrap();
    assert_eq!(again.attribution, answer.attribution);
    assert_eq!(
        std::fs::read(&shard).unwrap(),
        sound,
        "rebuilt byte for byte"
    );
    restarted.shutdown().await;
    network.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pool_is_funded_and_a_contributor_bound_to_its_payee_once_through_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let network = Network::on_fresh_chain(dir.path(), 1).await;
    let datanet = network.datanet().await;
    let (funder, contributor) = (&network.nodes[0], &network.nodes[1]);

    funder.fund_rewards(datanet, open(5)).await.unwrap();
    funder.fund_rewards(datanet, open(2)).await.unwrap();
    let unknown = DatanetId(datanet_protocol::Hash([7; 32]));
    assert!(matches!(
        funder.fund_rewards(unknown, open(1)).await,
        Err(NodeError::UnknownDatanet(_))
    ));
    let too_much = funder
        .fund_rewards(datanet, open(1_000_000))
        .await
        .unwrap_err();
    assert!(matches!(too_much, NodeError::Invalid(_)), "{too_much}");

    assert!(contributor.bind_payee(None).await.unwrap().is_some());
    assert_eq!(
        contributor.bind_payee(None).await.unwrap(),
        None,
        "bound already: nothing sent"
    );
    let elsewhere = contributor
        .bind_payee(Some(network.evm[3].address()))
        .await
        .unwrap_err();
    assert!(elsewhere.to_string().contains("for good"), "{elsewhere}");

    let status = contributor.rewards(datanet).await.unwrap();
    assert_eq!(status.funded, open(7));
    assert_eq!(status.paid, U256::ZERO);
    assert_eq!(status.claimed, U256::ZERO);
    assert_eq!(status.contributor, contributor.contributor());
    assert_eq!(status.payee, Some(network.evm[1].address()));
    assert_eq!(funder.rewards(datanet).await.unwrap().payee, None);
    network.stop().await;
}

/// Waits until `node`'s contributor is owed OPEN by a rewards root anchored on `datanet`.
async fn earned(node: &Node, datanet: DatanetId) -> (u64, U256) {
    tokio::time::timeout(ANCHOR_WITHIN, async {
        loop {
            if let Some(earned) = node.rewards(datanet).await.unwrap().earned {
                return earned;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("an anchored rewards root pays the contributor")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn recomputed_attribution_records_pay_contributors_who_claim_once_against_the_anchored_root()
{
    let dir = tempfile::tempdir().unwrap();
    let network = Network::on_fresh_chain(dir.path(), 1).await;
    let Quoted { datanet, model, .. } = network.quoted("").await;
    let (river, lanterns) = (RIVER, LANTERNS);
    let operator = &network.nodes[2];
    network.nodes[3]
        .fund_rewards(datanet, open(80))
        .await
        .unwrap();

    let output = format!("As they say, {river}; and {lanterns}.");
    let weight = |line: &str| (line.len() * line.len()) as u64;
    let mut expected = vec![
        (network.nodes[0].contributor(), weight(river)),
        (network.nodes[1].contributor(), weight(lanterns)),
    ];
    expected.sort();

    // A record whose weights are not the ones the output gets is refused by every node that
    // recomputes it; the operator's honest record, gossiped after it, is kept everywhere.
    let forged = AttributionBody {
        model: model.id(),
        datanet,
        operator: operator.contributor(),
        output_hash: output_hash(output.as_bytes()),
        min_span: 32,
        weights: expected.iter().map(|(k, w)| (*k, w * 2)).collect(),
    };
    let forged = AttributionSubmission {
        record: AttributionRecord::sign(forged, &network.contributors[2]).unwrap(),
        output: output.clone(),
    };
    let forged_id = forged.record.id();
    operator
        .network()
        .publish_quorum(datanet, &QuorumMessage::Attribution(Box::new(forged)))
        .await
        .unwrap();
    let records = operator
        .submit_attribution(model.id(), output.clone().into_bytes())
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].datanet, datanet);
    assert_eq!(records[0].weights, expected);
    let honest = records[0].id;
    for node in &network.nodes[..2] {
        tokio::time::timeout(ANCHOR_WITHIN, async {
            while node
                .store()
                .run(move |s| s.attribution(&datanet, &honest))
                .await
                .unwrap()
                .is_none()
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("the honest record is recomputed and kept");
        let forged_kept = node
            .store()
            .run(move |s| s.attribution(&datanet, &forged_id))
            .await
            .unwrap();
        assert!(
            forged_kept.is_none(),
            "a record with wrong weights was kept"
        );
    }

    // The next paying batch releases an eighth of the pool, split by weight.
    let share = open(80) / U256::from(8);
    let total = U256::from(weight(river) + weight(lanterns));
    let owed = |w: u64| share * U256::from(w) / total;
    let (paid_in, river_earned) = earned(&network.nodes[0], datanet).await;
    let (_, lanterns_earned) = earned(&network.nodes[1], datanet).await;
    assert_eq!(river_earned, owed(weight(river)));
    assert_eq!(lanterns_earned, owed(weight(lanterns)));
    let batch = network.nodes[0]
        .store()
        .run(move |s| s.batch(&datanet, paid_in))
        .await
        .unwrap()
        .expect("the paying batch is stored");
    let body = batch.proposal.body();
    assert_eq!(body.attributions, vec![honest]);
    let on_chain = Hub::connect(network.params(), None)
        .await
        .unwrap()
        .anchored(datanet, paid_in)
        .await
        .unwrap()
        .expect("the paying batch is anchored");
    assert_eq!(on_chain.rewards_root, body.rewards_root);

    for (i, node) in network.nodes[..2].iter().enumerate() {
        node.bind_payee(None).await.unwrap();
        let claimed = node.claim_rewards(datanet).await.unwrap();
        let status = node.rewards(datanet).await.unwrap();
        assert_eq!(claimed.paid, status.claimed);
        assert_eq!(status.due(), U256::ZERO);
        assert_eq!(claimed.paid, [river_earned, lanterns_earned][i]);
        let again = node.claim_rewards(datanet).await.unwrap_err();
        assert!(again.to_string().contains("nothing to claim"), "{again}");
    }
    assert_eq!(
        network.nodes[3].rewards(datanet).await.unwrap().paid,
        river_earned + lanterns_earned
    );

    // A proof of more than the leaf holds is refused by the hub.
    let payments: Vec<(datanet_protocol::PublicKey, U256)> = body
        .payments
        .iter()
        .map(|(k, a)| (*k, U256::from(*a)))
        .collect();
    let tree = RewardsTree::new(payments).unwrap();
    let mut inflated = tree
        .claim(datanet, paid_in, body.root, &network.nodes[0].contributor())
        .unwrap();
    inflated.cumulative += U256::from(1);
    let hub = Hub::connect(network.params(), Some(&network.evm[0]))
        .await
        .unwrap();
    assert!(hub.claim_reward(&inflated).await.is_err());
    network.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_anchor_dropped_by_a_reorg_is_anchored_again_once() {
    let dir = tempfile::tempdir().unwrap();
    // Ten confirmations: the anchor stays unconfirmed until the test mines past it.
    let network = Network::on_fresh_chain(dir.path(), 10).await;
    let datanet = network.datanet().await;
    let (_, epoch) = network.batched(datanet).await;
    let hub = Hub::connect(network.params(), None).await.unwrap();
    let first = tokio::time::timeout(ANCHOR_WITHIN, async {
        loop {
            if let Some(a) = hub.anchored(datanet, epoch).await.unwrap() {
                return a;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the batch is anchored");

    // Replace the anchor's block (and any after it) with empty ones.
    let depth = hub.block_number().await.unwrap() - first.block + 1;
    let _: () = hub
        .provider()
        .raw_request(
            "anvil_reorg".into(),
            (depth, Vec::<serde_json::Value>::new()),
        )
        .await
        .unwrap();
    let _: () = hub
        .provider()
        .raw_request("anvil_dropAllTransactions".into(), ())
        .await
        .unwrap();
    assert_eq!(hub.anchored(datanet, epoch).await.unwrap(), None);

    // The nodes see it gone and send it again; then blocks are mined past it.
    let again = tokio::time::timeout(ANCHOR_WITHIN, async {
        loop {
            if let Some(a) = hub.anchored(datanet, epoch).await.unwrap() {
                return a;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the batch is anchored again");
    let _: () = hub
        .provider()
        .raw_request("anvil_mine".into(), (U256::from(12),))
        .await
        .unwrap();
    for node in &network.nodes {
        confirmed(node, datanet, epoch).await;
    }
    assert_eq!(again.batch_root, first.batch_root);
    assert_eq!(anchor_events(&hub, datanet, epoch).await, 1);
}

/// A TCP relay on loopback to anvil that can be cut: while cut it closes every connection,
/// open or new, as an RPC endpoint that went away would.
struct Relay {
    url: String,
    up: tokio::sync::watch::Sender<bool>,
}

impl Relay {
    async fn start(target: &str) -> Relay {
        let target: std::net::SocketAddr = target.trim_start_matches("http://").parse().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (up, watch) = tokio::sync::watch::channel(true);
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let mut cut = watch.clone();
                if !*cut.borrow() {
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Relay { url, up }
    }

    fn set(&self, up: bool) {
        self.up.send_replace(up);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_the_rpc_endpoint_down_batches_go_on_and_anchors_catch_up_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let chain = DevChain::start(&dir.path().join("anvil.log"), None, 3600)
        .await
        .unwrap();
    let relay = Relay::start(chain.rpc_url()).await;
    let network = Network::start(chain, 1, Some(relay.url.clone())).await;
    let datanet = network.datanet().await;
    let direct = Hub::connect(
        ChainParams {
            rpc_url: network.chain.rpc_url().to_string(),
            ..network.params()
        },
        None,
    )
    .await
    .unwrap();

    let mut events = network.nodes[0].events();
    relay.set(false);
    let (_, first) = network.batched(datanet).await;
    let (_, second) = network.batched(datanet).await;
    assert!(first < second);
    tokio::time::timeout(ANCHOR_WITHIN, async {
        while network.nodes[0].anchoring().unwrap().last_error.is_none() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("status tells that the chain cannot be reached");
    assert_eq!(direct.anchored(datanet, first).await.unwrap(), None);

    relay.set(true);
    for node in &network.nodes {
        confirmed(node, datanet, first).await;
        confirmed(node, datanet, second).await;
    }
    let a = direct.anchored(datanet, first).await.unwrap().unwrap();
    let b = direct.anchored(datanet, second).await.unwrap().unwrap();
    assert!(a.block < b.block, "anchored in epoch order");
    assert_eq!(anchor_events(&direct, datanet, first).await, 1);
    assert_eq!(anchor_events(&direct, datanet, second).await, 1);
    assert_eq!(network.nodes[0].anchoring().unwrap().last_error, None);

    // The event stream told of the failure once and of the recovery.
    let mut seen = Vec::new();
    loop {
        match events.try_recv() {
            Ok(NodeEvent::AnchoringFailed { error }) => seen.push(format!("failed: {error}")),
            Ok(NodeEvent::AnchoringResumed) => seen.push("resumed".into()),
            Ok(_) | Err(TryRecvError::Lagged(_)) => {}
            Err(_) => break,
        }
    }
    assert!(
        seen.first().is_some_and(|e| e.starts_with("failed")),
        "{seen:?}"
    );
    assert_eq!(seen.last().map(String::as_str), Some("resumed"), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_a_chain_the_hubs_stakes_decide_who_validates_from_three_epochs_after_an_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let mut network = Network::on_fresh_chain(dir.path(), 1).await;
    // The record gives the four equal stakes; on the hub, validator 0 holds 100 of 130 OPEN.
    let datanet = network.datanet_staking([100, 10, 10, 10], None).await;
    let (_, first) = network.batched(datanet).await;
    for node in &network.nodes {
        confirmed(node, datanet, first).await;
    }

    // Every node takes the hub's set as of that anchor, from three epochs later on.
    let hub = Hub::connect(network.params(), None).await.unwrap();
    let on_chain = hub.validator_set(datanet, None).await.unwrap().unwrap();
    let heavy = network.validators[0].public();
    assert_eq!(
        on_chain.stake(&heavy),
        Some(datanet_chain::stake_units(open(100)))
    );
    for node in &network.nodes {
        let sets = node
            .store()
            .run(move |s| {
                Ok((
                    s.chain_set_at(&datanet, first + 2)?,
                    s.chain_set_at(&datanet, first + 3)?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(sets.0, None, "the record's set until then");
        assert_eq!(sets.1.as_ref().map(ValidatorSet::id), Some(on_chain.id()));
    }
    let created_ms = network.nodes[0]
        .datanet(datanet)
        .await
        .unwrap()
        .body()
        .created_ms;
    let switch_ms = created_ms + (first + 3) * EPOCH.as_millis() as u64;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    tokio::time::sleep(Duration::from_millis(switch_ms.saturating_sub(now_ms))).await;

    // From then on certificates and batches are under the hub's set, and anchored.
    let (second, epoch) = network.batched(datanet).await;
    assert!(epoch >= first + 3);
    let batch = network.nodes[1]
        .batch(datanet, epoch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(batch.proposal.body().validator_set, on_chain.id());
    let leaf = batch
        .proposal
        .body()
        .certificates
        .iter()
        .find(|qc| qc.contribution == second)
        .unwrap()
        .clone();
    assert_eq!(leaf.validator_set, on_chain.id());
    for node in &network.nodes {
        confirmed(node, datanet, epoch).await;
    }

    // Without validator 0, the other three hold 30 of 130: under the record's equal stakes
    // their three accepts would settle a contribution at once; under the hub's they cannot.
    let gone = network.nodes.remove(0);
    gone.shutdown().await;
    let third = network.nodes[0]
        .contribute(datanet, b"a third record\n".to_vec(), "text/plain")
        .await
        .unwrap()
        .contribution;
    let light: Vec<_> = network.validators[1..]
        .iter()
        .map(SecretKey::public)
        .collect();
    tokio::time::timeout(ANCHOR_WITHIN, async {
        loop {
            if let Ok(Some(l)) = network.nodes[0].lifecycle(third).await {
                let accepted: Vec<_> = l.attestations.iter().map(|a| a.body().validator).collect();
                if light.iter().all(|k| accepted.contains(k)) {
                    assert_eq!(l.certificate, None, "30 of 130 is no quorum");
                    assert_eq!(l.stage, Stage::Pending);
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the three remaining validators attest");
    network.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hub_entry_with_another_policy_than_the_record_gives_no_validator_set() {
    let dir = tempfile::tempdir().unwrap();
    let network = Network::on_fresh_chain(dir.path(), 1).await;
    // The datanet's id was registered on the hub with another policy: the anchor passes (the
    // keys and stakes are there) but the set is not this datanet's.
    let datanet = network
        .datanet_staking([100, 10, 10, 10], Some([7; 32]))
        .await;
    let (_, first) = network.batched(datanet).await;
    for node in &network.nodes {
        confirmed(node, datanet, first).await;
        let sets = node
            .store()
            .run(move |s| s.chain_sets(&datanet))
            .await
            .unwrap();
        assert!(sets.is_empty(), "the record's set stays: {sets:?}");
    }
    let (_, later) = network.batched(datanet).await;
    assert!(later > first);
    network.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_anchor_left_unmined_is_replaced_with_higher_fees_and_confirmed_once() {
    let dir = tempfile::tempdir().unwrap();
    let network = Network::on_fresh_chain(dir.path(), 1).await;
    let datanet = network.datanet().await;
    let hub = Hub::connect(network.params(), None).await.unwrap();

    // No block is mined: the anchor waits in the pool, as when its fees fall behind.
    let _: () = hub
        .provider()
        .raw_request("evm_setAutomine".into(), (false,))
        .await
        .unwrap();
    let (_, epoch) = network.batched(datanet).await;
    let submitted = |node: &Node| {
        let store = node.store().clone();
        async move {
            match store.run(move |s| s.anchor(&datanet, epoch)).await.unwrap() {
                Some(Anchor {
                    state: AnchorState::Submitted { tx, nonce },
                    ..
                }) => Some((tx, nonce)),
                _ => None,
            }
        }
    };
    let (sender, first) = tokio::time::timeout(ANCHOR_WITHIN, async {
        loop {
            for (i, node) in network.nodes.iter().enumerate() {
                if let Some(sent) = submitted(node).await {
                    return (i, sent);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the anchor is sent");
    let second = tokio::time::timeout(ANCHOR_WITHIN, async {
        loop {
            if let Some(sent) = submitted(&network.nodes[sender]).await {
                if sent.0 != first.0 {
                    return sent;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the sender replaces it after two epochs");
    assert_eq!(
        second.1, first.1,
        "the same nonce, so only one can be mined"
    );

    // Blocks come again: one anchor, by the latest replacement or a later one.
    let _: () = hub
        .provider()
        .raw_request("evm_setAutomine".into(), (true,))
        .await
        .unwrap();
    let _: serde_json::Value = hub
        .provider()
        .raw_request("evm_mine".into(), ())
        .await
        .unwrap();
    for node in &network.nodes {
        let AnchorState::Confirmed { tx, .. } = confirmed(node, datanet, epoch).await else {
            unreachable!()
        };
        assert_ne!(tx, first.0, "the first transaction was replaced");
    }
    assert_eq!(anchor_events(&hub, datanet, epoch).await, 1);
    assert_eq!(
        hub.receipt(alloy::primitives::TxHash::from(first.0 .0))
            .await
            .unwrap(),
        None
    );
    network.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_light_client_follows_anchored_batches_samples_them_and_resumes_without_resampling() {
    use datanet_light::{FollowChain, Followed, LightClient, LightConfig};
    use std::sync::{Arc, Mutex};

    let dir = tempfile::tempdir().unwrap();
    let network = Network::on_fresh_chain(dir.path(), 1).await;
    let datanet = network.datanet().await;
    let (first, epoch) = network.batched(datanet).await;
    for node in &network.nodes {
        confirmed(node, datanet, epoch).await;
    }
    let hub: Arc<dyn HubClient> = Arc::new(Hub::connect(network.params(), None).await.unwrap());
    let home = dir.path().join("light");
    let bootstrap = network.nodes[1].listen_addrs().await.unwrap()[..1].to_vec();
    let follow = FollowChain {
        hub,
        datanets: vec![datanet],
        from_block: 0,
        confirmations: 1,
        poll: Duration::from_millis(200),
    };

    // Follows until it has checked `want`; returns every report it made.
    let run = |want: ContributionId| {
        let (home, bootstrap, follow) = (home.clone(), bootstrap.clone(), follow.clone());
        async move {
            let light = Arc::new(
                LightClient::start(LightConfig::new(home, bootstrap))
                    .await
                    .unwrap(),
            );
            assert!(light.wait_for_storage_peer(ANCHOR_WITHIN).await);
            let seen = Arc::new(Mutex::new(Vec::new()));
            let following = {
                let (light, seen) = (Arc::clone(&light), Arc::clone(&seen));
                tokio::spawn(async move {
                    light
                        .follow_chain(follow, |line| seen.lock().unwrap().push(line))
                        .await
                })
            };
            tokio::time::timeout(ANCHOR_WITHIN, async {
                while light.progress().verdict(&want).unwrap().is_none() {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
            .await
            .expect("the light client checks the anchored contribution");
            light.shutdown().await;
            following.await.unwrap().unwrap();
            let lines = seen.lock().unwrap().clone();
            lines
        }
    };

    let lines = run(first).await;
    let checked: Vec<_> = lines
        .iter()
        .filter_map(|l| match l {
            Followed::Checked {
                epoch: e, verdict, ..
            } => Some((*e, verdict.clone())),
            Followed::Waiting { .. } => None,
        })
        .collect();
    assert_eq!(checked.len(), 1, "{lines:?}");
    assert_eq!(checked[0].0, epoch);
    assert_eq!(checked[0].1.contribution, first.to_string());
    assert!(checked[0].1.good(), "{:?}", checked[0].1);
    assert!(checked[0].1.confidence >= 0.9999);

    // Restarted after a second batch, it checks only the new contribution.
    let (second, later) = network.batched(datanet).await;
    for node in &network.nodes {
        confirmed(node, datanet, later).await;
    }
    let lines = run(second).await;
    let checked: Vec<String> = lines
        .iter()
        .filter_map(|l| match l {
            Followed::Checked { verdict, .. } => Some(verdict.contribution.clone()),
            Followed::Waiting { .. } => None,
        })
        .collect();
    assert_eq!(checked, vec![second.to_string()], "{lines:?}");
    network.stop().await;
}
