//! An anchored batch, checked against the chain: the batch a storage peer serves must propose
//! the anchored root, and the root rebuilt from its leaves (each contribution's manifest,
//! fetched and checked against its id, with the batch's certificate) must be that root. A
//! batch that omits, adds or alters a leaf gives another root and is refused; the next peer
//! is asked.

use datanet_chain::AnchorOnChain;
use datanet_net::NetHandle;
use datanet_protocol::signed::batch_root;
use datanet_protocol::{BatchLeaf, DatanetId, FinalBatch};

/// The final batch of `anchor` from the first storage peer whose batch checks; `Err` with
/// the last reason when none does.
pub(crate) async fn fetch_anchored_batch(
    net: &NetHandle,
    datanet: DatanetId,
    anchor: &AnchorOnChain,
) -> Result<FinalBatch, String> {
    let peers = net.storage_peers().await.map_err(|e| e.to_string())?;
    let mut last = format!("no storage peer holds batch {} of {datanet}", anchor.epoch);
    for peer in peers {
        let batch = match net
            .get_anchored_batch(peer, datanet, anchor.epoch, anchor.batch_root)
            .await
        {
            Ok(batch) => batch,
            Err(e) => {
                last = e.to_string();
                continue;
            }
        };
        match leaves_match(net, datanet, &batch, anchor).await {
            Ok(()) => return Ok(batch),
            Err(why) => last = why,
        }
    }
    Err(last)
}

/// Whether `batch`'s certificates, with their contributions' manifests, rebuild the
/// anchored root.
async fn leaves_match(
    net: &NetHandle,
    datanet: DatanetId,
    batch: &FinalBatch,
    anchor: &AnchorOnChain,
) -> Result<(), String> {
    let mut leaves = Vec::new();
    for qc in &batch.proposal.body().certificates {
        let (manifest, _) = net
            .find_manifest(qc.contribution)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no peer holds contribution {}", qc.contribution))?;
        if manifest.body().datanet != datanet {
            return Err(format!(
                "batch {} lists {} of another datanet",
                anchor.epoch, qc.contribution
            ));
        }
        leaves.push(BatchLeaf::new(&manifest, qc));
    }
    let rebuilt = batch_root(&leaves);
    if rebuilt != anchor.batch_root {
        return Err(format!(
            "the leaves of batch {} give root {rebuilt}, not the anchored {}",
            anchor.epoch, anchor.batch_root
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datanet_chain::{AnchorOnChain, TxHash, U256};
    use datanet_net::test_utils::MockNet;
    use datanet_net::PeerId;
    use datanet_protocol::signed::{leader, BatchVote, BatchVoteBody, ProposalBody};
    use datanet_protocol::test_utils::{equal_set, sample_contribution};
    use datanet_protocol::wire::{Request, Response};
    use datanet_protocol::{
        Attestation, AttestationBody, BatchProposal, Hash, QuorumCertificate, SecretKey,
        ValidatorSet,
    };

    use super::*;

    /// Three contributions of the sample datanet, each certified by four validators.
    struct Fixture {
        keys: Vec<SecretKey>,
        set: ValidatorSet,
        contributions: Vec<datanet_protocol::test_utils::SampleContribution>,
        qcs: Vec<QuorumCertificate>,
    }

    impl Fixture {
        fn new() -> Self {
            let keys: Vec<SecretKey> = (1..=4u8).map(|i| SecretKey::from_seed([i; 32])).collect();
            let set = equal_set(&keys);
            let contributions: Vec<_> = (0..3).map(|n| sample_contribution(9, n, 2000)).collect();
            let qcs: Vec<QuorumCertificate> = contributions
                .iter()
                .map(|c| {
                    let id = c.manifest.id();
                    let votes: Vec<Attestation> = keys
                        .iter()
                        .map(|k| {
                            Attestation::sign(AttestationBody::accept(id, k.public()), k).unwrap()
                        })
                        .collect();
                    QuorumCertificate::form(&set, id, &votes).unwrap()
                })
                .collect();
            Fixture {
                keys,
                set,
                contributions,
                qcs,
            }
        }

        /// The honest batch: the first two contributions.
        fn batch(&self) -> FinalBatch {
            self.batch_of(&[0, 1])
        }

        fn datanet(&self) -> DatanetId {
            self.contributions[0].manifest.body().datanet
        }

        /// A final batch of epoch 5 holding the contributions `which`, signed by its leader
        /// and voted by three of four.
        fn batch_of(&self, which: &[usize]) -> FinalBatch {
            let certificates: Vec<QuorumCertificate> =
                which.iter().map(|i| self.qcs[*i].clone()).collect();
            let leaves: Vec<BatchLeaf> = which
                .iter()
                .map(|i| BatchLeaf::new(&self.contributions[*i].manifest, &self.qcs[*i]))
                .collect();
            self.signed(certificates, batch_root(&leaves))
        }

        /// A batch proposing `root` with `certificates`, whatever they make.
        fn signed(&self, certificates: Vec<QuorumCertificate>, root: Hash) -> FinalBatch {
            let datanet = self.datanet();
            let lead = leader(&self.set, &datanet, 5).unwrap();
            let secret = self.keys.iter().find(|k| k.public() == lead).unwrap();
            let proposal = BatchProposal::sign(
                ProposalBody {
                    datanet,
                    epoch: 5,
                    validator_set: self.set.id(),
                    leader: lead,
                    root,
                    certificates,
                    attributions: Vec::new(),
                    funded: 0,
                    payments: Vec::new(),
                    rewards_root: datanet_protocol::Hash::default(),
                },
                secret,
            )
            .unwrap();
            let votes: Vec<BatchVote> = self.keys[..3]
                .iter()
                .map(|k| {
                    BatchVote::sign(
                        BatchVoteBody {
                            datanet,
                            epoch: 5,
                            root,
                            rewards_root: datanet_protocol::Hash::default(),
                            validator: k.public(),
                        },
                        k,
                    )
                    .unwrap()
                })
                .collect();
            FinalBatch::form(&self.set, proposal, &votes).unwrap()
        }

        fn anchor(&self, root: Hash) -> AnchorOnChain {
            AnchorOnChain {
                epoch: 5,
                batch_root: root,
                rewards_root: Hash([0; 32]),
                block: 40,
                tx: TxHash::ZERO,
                signed_stake: U256::from(30),
                total_stake: U256::from(40),
            }
        }

        /// A network of one storage peer serving `batch` and every manifest.
        fn serving(&self, batch: FinalBatch) -> MockNet {
            let manifests: Vec<_> = self
                .contributions
                .iter()
                .map(|c| (c.manifest.clone(), c.headers.clone()))
                .collect();
            let batch = Arc::new(batch);
            MockNet::new(vec![PeerId::random()], move |_, request| {
                Ok(match request {
                    Request::GetBatch { .. } => Response::Batch(Box::new((*batch).clone())),
                    Request::GetManifest(id) => manifests
                        .iter()
                        .find(|(m, _)| m.id() == *id)
                        .map_or(Response::NotFound, |(m, h)| Response::Manifest {
                            manifest: Box::new(m.clone()),
                            headers: h.clone(),
                        }),
                    _ => Response::NotFound,
                })
            })
        }
    }

    #[tokio::test]
    async fn a_batch_that_rebuilds_the_anchored_root_is_taken() {
        let f = Fixture::new();
        let net = f.serving(f.batch());
        let anchor = f.anchor(f.batch().root());
        let got = fetch_anchored_batch(&net.handle, f.datanet(), &anchor)
            .await
            .unwrap();
        assert_eq!(got, f.batch());
    }

    #[tokio::test]
    async fn a_batch_whose_root_is_not_on_chain_is_refused() {
        let f = Fixture::new();
        let net = f.serving(f.batch());
        let anchor = f.anchor(Hash([7; 32]));
        let err = fetch_anchored_batch(&net.handle, f.datanet(), &anchor)
            .await
            .unwrap_err();
        assert!(err.contains("not the anchored"), "{err}");
    }

    #[tokio::test]
    async fn a_batch_that_omits_or_adds_a_leaf_under_the_anchored_root_is_refused() {
        let f = Fixture::new();
        let anchored = f.batch().root();
        let omitted = f.signed(vec![f.qcs[0].clone()], anchored);
        let added = f.signed(f.qcs.clone(), anchored);
        let swapped = f.signed(vec![f.qcs[1].clone(), f.qcs[0].clone()], anchored);
        for tampered in [omitted, added, swapped] {
            let net = f.serving(tampered);
            let err = fetch_anchored_batch(&net.handle, f.datanet(), &f.anchor(anchored))
                .await
                .unwrap_err();
            assert!(err.contains("give root"), "{err}");
        }
    }
}
