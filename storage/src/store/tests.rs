//! Store behaviour, run against both engines: the in-memory one and sled with chunk files.

use std::sync::Arc;

use datanet_protocol::chunking;
use datanet_protocol::hash::{hash, Domain};
use datanet_protocol::test_utils::{
    mis_encoded_square, sample_contribution, Fault, SampleContribution,
};
use datanet_protocol::wire::ColumnHalf;
use datanet_protocol::{
    ChunkId, CodecId, DaRoot, DatanetId, ExtendedSquare, Line, Manifest, SecretKey, TopHalf,
};
use tempfile::TempDir;

use super::format::{open_format, Migration, FORMAT_VERSION};
use crate::backend::{Backend, MemoryBackend, Op};
use crate::keys::{column_key, key, Kind};
use crate::{
    AnchorState, AttestationOutcome, Equivocation, GcPolicy, PeerRecord, RepairItem, Store,
    StoreError,
};

/// A store on each engine; the temporary folder lives as long as the disk store is used.
pub(crate) fn stores() -> Vec<(Store, Option<TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let disk = Store::open(dir.path()).unwrap();
    vec![(Store::memory(), None), (disk, Some(dir))]
}

/// Stores `s` as an ingesting node does: chunks, then the records.
pub(crate) fn put(store: &Store, s: &SampleContribution) {
    for c in &s.chunks {
        store.put_chunk(c).unwrap();
    }
    store
        .put_contribution(&s.manifest, &s.headers, &s.columns)
        .unwrap();
}

#[test]
fn contribution_round_trips_with_verified_columns() {
    for (store, _dir) in stores() {
        let s = sample_contribution(1, 0, 70_000);
        put(&store, &s);
        let id = s.manifest.id();
        assert_eq!(store.manifest(&id).unwrap(), Some(s.manifest.clone()));
        assert_eq!(store.contributions().unwrap(), vec![id]);
        let root = s.headers[0].da_root();
        assert_eq!(store.header(&root).unwrap(), Some(s.headers[0].clone()));
        let width = s.headers[0].params.width() as u16;
        assert_eq!(
            store.column_indices(&root).unwrap(),
            (0..width).collect::<Vec<_>>()
        );
        for (root, line) in &s.columns {
            assert_eq!(store.column(root, line.index).unwrap().as_ref(), Some(line));
        }
        assert_eq!(
            store.chunk(&s.manifest.body().chunks[0].id).unwrap(),
            Some(s.chunks[0].clone())
        );
    }
}

#[test]
fn a_contribution_with_one_bad_part_stores_nothing() {
    for (store, _dir) in stores() {
        let s = sample_contribution(2, 0, 5_000);
        let mut bad_columns = s.columns.clone();
        bad_columns[1].1.shares[3] ^= 1;
        assert!(matches!(
            store.put_contribution(&s.manifest, &s.headers, &bad_columns),
            Err(StoreError::Invalid(_))
        ));
        let other = sample_contribution(3, 0, 5_000);
        assert!(matches!(
            store.put_contribution(&s.manifest, &other.headers, &s.columns),
            Err(StoreError::Invalid(_))
        ));
        let forged = Manifest::from_parts(s.manifest.body().clone(), *other.manifest.signature());
        assert!(matches!(
            store.put_contribution(&forged, &s.headers, &s.columns),
            Err(StoreError::Invalid(_))
        ));
        assert!(store.contributions().unwrap().is_empty());
        assert_eq!(store.header(&s.headers[0].da_root()).unwrap(), None);
        assert!(store
            .column_indices(&s.headers[0].da_root())
            .unwrap()
            .is_empty());
    }
}

#[test]
fn corrupted_chunk_is_refused_listed_and_healed_by_a_rewrite() {
    for (store, _dir) in stores() {
        let chunk = vec![5u8; 10_000];
        let id = store.put_chunk(&chunk).unwrap();
        let mut flipped = chunk.clone();
        flipped[1234] ^= 0x40;
        store.backend().put_blob(&id, &[&flipped]).unwrap();
        assert!(matches!(
            store.chunk(&id),
            Err(StoreError::Corrupted { .. })
        ));
        assert_eq!(store.repair_list().unwrap(), vec![RepairItem::Chunk(id)]);
        store.put_chunk(&chunk).unwrap();
        assert_eq!(store.chunk(&id).unwrap(), Some(chunk));
        assert!(store.repair_list().unwrap().is_empty());
    }
}

#[test]
fn corrupted_column_is_refused_and_listed_for_repair() {
    for (store, _dir) in stores() {
        let s = sample_contribution(4, 0, 20_000);
        put(&store, &s);
        let (root, line) = &s.columns[2];
        let k = column_key(root, line.index);
        let stored = store.backend().get(&k).unwrap().unwrap();
        for at in [1, 9, stored.len() / 2, stored.len() - 1] {
            let mut flipped = stored.clone();
            flipped[at] ^= 0x01;
            store
                .backend()
                .commit(vec![Op::Put(k.clone(), flipped)])
                .unwrap();
            assert!(
                matches!(
                    store.column(root, line.index),
                    Err(StoreError::Corrupted { .. })
                ),
                "flip at byte {at}"
            );
        }
        assert_eq!(
            store.repair_list().unwrap(),
            vec![RepairItem::Column(*root, line.index)]
        );
        store
            .put_columns(&s.headers[0], std::slice::from_ref(line))
            .unwrap();
        assert_eq!(store.column(root, line.index).unwrap().as_ref(), Some(line));
        assert!(store.repair_list().unwrap().is_empty());
    }
}

#[test]
fn gc_keeps_what_is_referenced_and_removes_the_rest() {
    for (store, _dir) in stores() {
        let kept = sample_contribution(5, 0, chunking::MAX_CHUNK_LEN + 700);
        let dropped = sample_contribution(6, 0, 3_000);
        put(&store, &kept);
        put(&store, &dropped);
        let orphan = b"written before a crash, never listed".to_vec();
        let orphan_id = datanet_protocol::ChunkId::of(&orphan);
        store.backend().put_blob(&orphan_id, &[&orphan]).unwrap();
        let staged = store.put_chunk(b"being ingested right now").unwrap();
        store.unpin(&dropped.manifest.id()).unwrap();

        let report = store.gc(GcPolicy::default()).unwrap();
        assert_eq!(report.manifests, 1);
        assert_eq!(report.headers, 1);
        assert_eq!(report.columns, dropped.columns.len());
        assert_eq!(
            report.chunks, 3,
            "the dropped chunk, the orphan and the dropped square's column blob"
        );

        assert_eq!(store.manifest(&dropped.manifest.id()).unwrap(), None);
        assert_eq!(store.header(&dropped.headers[0].da_root()).unwrap(), None);
        assert_eq!(
            store.chunk(&dropped.manifest.body().chunks[0].id).unwrap(),
            None
        );
        assert_eq!(store.chunk(&orphan_id).unwrap(), None);
        assert!(store.chunk(&staged).unwrap().is_some());
        assert_eq!(
            store.manifest(&kept.manifest.id()).unwrap(),
            Some(kept.manifest.clone())
        );
        for (c, entry) in kept.chunks.iter().zip(&kept.manifest.body().chunks) {
            assert_eq!(store.chunk(&entry.id).unwrap().as_ref(), Some(c));
        }
        for (root, line) in &kept.columns {
            assert_eq!(store.column(root, line.index).unwrap().as_ref(), Some(line));
        }

        let expired = store.gc(GcPolicy { staged_grace_ms: 0 }).unwrap();
        assert_eq!(expired.chunks, 1);
        assert_eq!(store.chunk(&staged).unwrap(), None);
        assert!(store
            .chunk(&kept.manifest.body().chunks[1].id)
            .unwrap()
            .is_some());
    }
}

#[test]
fn a_newer_format_is_refused_and_an_older_one_migrated() {
    for (store, _dir) in stores() {
        let backend = Arc::clone(store.backend());
        let version = key(Kind::Format, &[]);
        let newer = FORMAT_VERSION + 1;
        backend
            .commit(vec![Op::Put(version.clone(), newer.to_be_bytes().to_vec())])
            .unwrap();
        let err = Store::with_backend(Arc::clone(&backend)).unwrap_err();
        assert!(matches!(
            err,
            StoreError::NewerFormat { found, supported } if found == newer && supported == FORMAT_VERSION
        ));
        assert!(err.to_string().contains("upgrade datanet"));

        let older = FORMAT_VERSION - 1;
        backend
            .commit(vec![Op::Put(version.clone(), older.to_be_bytes().to_vec())])
            .unwrap();
        let migrations = [Migration {
            from: older,
            run: |_: &dyn Backend| Ok(vec![Op::Put(b"Zmigrated".to_vec(), vec![1])]),
        }];
        open_format(&store, &migrations).unwrap();
        assert_eq!(backend.get(b"Zmigrated").unwrap(), Some(vec![1]));
        assert_eq!(
            backend.get(&version).unwrap(),
            Some(FORMAT_VERSION.to_be_bytes().to_vec())
        );
    }
}

#[test]
fn a_format_1_store_with_inline_columns_is_migrated_and_reads_back() {
    use datanet_protocol::encoding::{Encode, Writer};
    for (store, _dir) in stores() {
        let s = sample_contribution(8, 0, 30_000);
        put(&store, &s);
        let backend = Arc::clone(store.backend());
        let mut ops = vec![Op::Put(key(Kind::Format, &[]), 1u32.to_be_bytes().to_vec())];
        for (root, line) in &s.columns {
            let mut out = Writer::default();
            out.u8(1);
            line.params.encode_to(&mut out);
            out.u16(line.index);
            out.bytes(line.top_half());
            out.hashes(&line.axis_path);
            let k = column_key(root, line.index);
            ops.push(Op::Put(k, out.into_bytes()));
        }
        backend.commit(ops).unwrap();
        for id in backend.blob_ids().unwrap() {
            if !s.manifest.body().chunks.iter().any(|c| c.id == id) {
                backend.remove_blob(&id).unwrap();
            }
        }
        let reopened = Store::with_backend(Arc::clone(&backend)).unwrap();
        for (root, line) in &s.columns {
            assert_eq!(
                reopened.column(root, line.index).unwrap().as_ref(),
                Some(line)
            );
        }
        assert_eq!(
            backend.get(&key(Kind::Format, &[])).unwrap(),
            Some(FORMAT_VERSION.to_be_bytes().to_vec())
        );
    }
}

#[test]
fn a_column_whose_blob_bytes_rot_is_refused_and_listed_for_repair() {
    for (store, _dir) in stores() {
        let s = sample_contribution(9, 0, 20_000);
        put(&store, &s);
        let (root, line) = &s.columns[1];
        let k = column_key(root, line.index);
        let blob = super::columns::record_blob(&store.backend().get(&k).unwrap().unwrap()).unwrap();
        let mut bytes = store.backend().get_blob(&blob).unwrap().unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        store.backend().put_blob(&blob, &[&bytes]).unwrap();
        let broken = s
            .columns
            .iter()
            .filter(|(r, l)| r == root && store.column(r, l.index).is_err())
            .count();
        assert!(
            broken >= 1,
            "the column holding the flipped byte is refused"
        );
        assert!(store
            .repair_list()
            .unwrap()
            .iter()
            .any(|item| matches!(item, RepairItem::Column(r, _) if r == root)));
        store
            .put_columns(&s.headers[0], std::slice::from_ref(line))
            .unwrap();
        assert_eq!(store.column(root, line.index).unwrap().as_ref(), Some(line));
    }
}

#[test]
fn column_records_keep_no_axis_path_and_a_format_2_store_with_paths_upgrades_and_reads_back() {
    use datanet_protocol::encoding::Writer;
    for (store, _dir) in stores() {
        let s = sample_contribution(10, 0, 20_000);
        put(&store, &s);
        let backend = Arc::clone(store.backend());
        let mut ops = vec![Op::Put(key(Kind::Format, &[]), 2u32.to_be_bytes().to_vec())];
        for (root, line) in s.columns.iter().step_by(2) {
            let k = column_key(root, line.index);
            let record = backend.get(&k).unwrap().unwrap();
            assert!(record.len() < 80, "a record of {} bytes", record.len());
            let mut with_path = Writer::default();
            with_path.u8(2);
            with_path.raw(&record[1..]);
            with_path.hashes(&line.axis_path);
            ops.push(Op::Put(k, with_path.into_bytes()));
        }
        backend.commit(ops).unwrap();
        let reopened = Store::with_backend(Arc::clone(&backend)).unwrap();
        assert_eq!(
            backend.get(&key(Kind::Format, &[])).unwrap(),
            Some(FORMAT_VERSION.to_be_bytes().to_vec())
        );
        for (root, line) in &s.columns {
            assert_eq!(
                reopened.column(root, line.index).unwrap().as_ref(),
                Some(line)
            );
        }
        let root = s.columns[0].0;
        let indices: Vec<u16> = s
            .columns
            .iter()
            .filter(|(r, _)| *r == root)
            .map(|(_, l)| l.index)
            .collect();
        assert_eq!(
            reopened.columns(&root, &indices).unwrap().len(),
            indices.len()
        );
    }
}

#[test]
fn a_batch_of_columns_leaves_out_the_absent_and_the_corrupted_and_lists_the_latter() {
    for (store, _dir) in stores() {
        let s = sample_contribution(11, 0, 20_000);
        put(&store, &s);
        let root = s.columns[0].0;
        let lines: Vec<&Line> = s
            .columns
            .iter()
            .filter(|(r, _)| *r == root)
            .map(|(_, l)| l)
            .collect();
        let broken = lines[2].index;
        let k = column_key(&root, broken);
        let mut record = store.backend().get(&k).unwrap().unwrap();
        let last = record.len() - 1;
        record[last] ^= 1;
        store.backend().commit(vec![Op::Put(k, record)]).unwrap();
        store.drop_column(&root, lines[4].index).unwrap();

        let asked: Vec<u16> = [0, 2, 4, 1, 1].iter().map(|i| lines[*i].index).collect();
        let read = store.columns(&root, &asked).unwrap();
        let expected: Vec<Line> = [0, 1, 1].iter().map(|i| lines[*i].clone()).collect();
        assert_eq!(read, expected, "in the order asked, repeats included");
        assert_eq!(
            store.repair_list().unwrap(),
            vec![RepairItem::Column(root, broken)]
        );
        assert_eq!(store.columns(&root, &[]).unwrap(), Vec::<Line>::new());
    }
}

#[test]
fn a_column_half_is_read_as_stored_and_a_missing_blob_is_listed_for_repair() {
    for (store, _dir) in stores() {
        let s = sample_contribution(10, 0, 20_000);
        put(&store, &s);
        let (root, line) = &s.columns[1];
        assert_eq!(
            store.column_half(root, line.index).unwrap().as_deref(),
            Some(line.top_half())
        );
        let absent = DaRoot(datanet_protocol::Hash([7; 32]));
        assert_eq!(store.column_half(&absent, line.index).unwrap(), None);
        let (first, dropped) = (&s.columns[0].1, s.columns[2].1.index);
        store.drop_column(root, dropped).unwrap();
        assert_eq!(
            store
                .column_halves(root, &[line.index, dropped, first.index])
                .unwrap(),
            vec![
                (line.index, line.top_half().to_vec()),
                (first.index, first.top_half().to_vec())
            ],
            "the held ones, in the order asked"
        );
        let k = column_key(root, line.index);
        let blob = super::columns::record_blob(&store.backend().get(&k).unwrap().unwrap()).unwrap();
        store.backend().remove_blob(&blob).unwrap();
        assert!(matches!(
            store.column_half(root, line.index),
            Err(StoreError::Corrupted { .. })
        ));
        assert_eq!(store.column_halves(root, &[line.index]).unwrap(), vec![]);
        assert!(store
            .repair_list()
            .unwrap()
            .contains(&RepairItem::Column(*root, line.index)));
    }
}

#[test]
fn data_without_a_format_version_is_not_a_store() {
    let backend = Arc::new(MemoryBackend::default());
    backend
        .commit(vec![Op::Put(b"foreign".to_vec(), vec![])])
        .unwrap();
    assert!(matches!(
        Store::with_backend(backend),
        Err(StoreError::NotAStore)
    ));
}

#[test]
fn an_attestation_is_stored_once_a_contradicting_one_kept_as_evidence_and_a_forged_one_refused() {
    use datanet_protocol::signed::ReasonCode;
    use datanet_protocol::{Attestation, AttestationBody};
    for (store, _dir) in stores() {
        let validator = SecretKey::from_seed([9; 32]);
        let c = sample_contribution(7, 0, 100).manifest.id();
        let sign = |body| Attestation::sign(body, &validator).unwrap();
        let a = sign(AttestationBody::accept(c, validator.public()));
        assert_eq!(store.put_attestation(&a).unwrap(), AttestationOutcome::New);
        assert_eq!(
            store.put_attestation(&a).unwrap(),
            AttestationOutcome::Known
        );
        let contrary = sign(AttestationBody::reject(
            c,
            validator.public(),
            ReasonCode::Schema,
            "line 1: not an object",
        ));
        assert_eq!(
            store.put_attestation(&contrary).unwrap(),
            AttestationOutcome::Equivocation(a.clone())
        );
        assert_eq!(
            store.equivocations(&c).unwrap(),
            vec![Equivocation {
                first: a.clone(),
                second: contrary.clone()
            }]
        );
        let forged = Attestation::from_parts(contrary.body().clone(), *a.signature());
        assert!(matches!(
            store.put_attestation(&forged),
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(store.attestations(&c).unwrap(), vec![a]);
    }
}

#[test]
fn a_validator_records_one_vote_per_epoch_and_refuses_a_second_root() {
    for (store, _dir) in stores() {
        let datanet = DatanetId(hash(Domain::Datanet, b"x"));
        let (root, other) = (hash(Domain::Node, b"a"), hash(Domain::Node, b"b"));
        assert!(store.record_vote(&datanet, 4, &root).unwrap());
        assert!(
            store.record_vote(&datanet, 4, &root).unwrap(),
            "the same vote again"
        );
        assert!(!store.record_vote(&datanet, 4, &other).unwrap());
        assert!(store.record_vote(&datanet, 5, &other).unwrap());
    }
}

#[test]
fn a_final_batch_is_stored_once_indexes_its_contributions_and_another_for_its_epoch_is_refused() {
    use datanet_protocol::signed::{BatchProposal, ProposalBody};
    use datanet_protocol::{Attestation, AttestationBody, FinalBatch, QuorumCertificate};
    for (store, _dir) in stores() {
        let key = SecretKey::from_seed([5; 32]);
        let sample = sample_contribution(7, 0, 100);
        let datanet = sample.manifest.body().datanet;
        let c = sample.manifest.id();
        store
            .put_contribution(&sample.manifest, &sample.headers, &[])
            .unwrap();
        let vote = Attestation::sign(AttestationBody::accept(c, key.public()), &key).unwrap();
        let qc = QuorumCertificate {
            contribution: c,
            validator_set: hash(Domain::ValidatorSet, b"s"),
            signatures: vec![(key.public(), *vote.signature())],
        };
        let batch = |root: &[u8]| FinalBatch {
            proposal: BatchProposal::sign(
                ProposalBody {
                    datanet,
                    epoch: 7,
                    validator_set: qc.validator_set,
                    leader: key.public(),
                    root: hash(Domain::Node, root),
                    certificates: vec![qc.clone()],
                    attributions: Vec::new(),
                    funded: 0,
                    payments: Vec::new(),
                    rewards_root: datanet_protocol::Hash::default(),
                },
                &key,
            )
            .unwrap(),
            signatures: vec![],
        };
        assert_eq!(store.batched_in(&c).unwrap(), None);
        assert!(store.put_batch(&batch(b"r")).unwrap());
        assert!(!store.put_batch(&batch(b"r")).unwrap());
        assert!(matches!(
            store.put_batch(&batch(b"other")),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(store.batch(&datanet, 7).unwrap(), Some(batch(b"r")));
        assert_eq!(store.batches_of(&datanet).unwrap(), vec![batch(b"r")]);
        assert!(store.batches_of(&DatanetId(c.0)).unwrap().is_empty());
        assert_eq!(store.batched_in(&c).unwrap(), Some(7));
        assert_eq!(
            store.certificate(&c).unwrap(),
            Some(qc.clone()),
            "a node that missed the votes learns the certificate from the batch"
        );
        assert_eq!(
            store
                .accepted_payload(&datanet, &sample.manifest.body().payload_hash)
                .unwrap(),
            Some(c),
            "and knows its payload as accepted"
        );
    }
}

#[test]
fn an_anchor_is_queued_once_per_epoch_and_a_confirmed_one_is_never_resubmitted() {
    for (store, _dir) in stores() {
        let datanet = DatanetId(hash(Domain::Datanet, b"x"));
        let root = hash(Domain::HashLeaf, b"r");
        store.enqueue_anchor(&datanet, 7, root).unwrap();
        store.enqueue_anchor(&datanet, 7, root).unwrap();
        assert!(matches!(
            store.enqueue_anchor(&datanet, 7, hash(Domain::HashLeaf, b"o")),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(store.pending_anchors().unwrap().len(), 1);
        let tx = hash(Domain::HashLeaf, b"tx");
        store
            .set_anchor_state(&datanet, 7, AnchorState::Submitted { tx, nonce: 1 })
            .unwrap();
        store
            .set_anchor_state(&datanet, 7, AnchorState::Confirmed { tx, block: 12 })
            .unwrap();
        assert!(store.pending_anchors().unwrap().is_empty());
        assert!(matches!(
            store.set_anchor_state(&datanet, 7, AnchorState::Submitted { tx, nonce: 2 }),
            Err(StoreError::Conflict(_))
        ));
        store.enqueue_anchor(&datanet, 7, root).unwrap();
        assert!(matches!(
            store.anchor(&datanet, 7).unwrap().unwrap().state,
            AnchorState::Confirmed { block: 12, .. }
        ));
        // An epoch the chain can no longer take leaves the queue, and stays recorded so.
        store.enqueue_anchor(&datanet, 8, root).unwrap();
        store
            .set_anchor_state(&datanet, 8, AnchorState::Skipped)
            .unwrap();
        assert!(store.pending_anchors().unwrap().is_empty());
        assert_eq!(
            store
                .newest_confirmed_anchor(&datanet)
                .unwrap()
                .map(|a| a.epoch),
            Some(7),
            "a skipped epoch is no version"
        );
        assert_eq!(
            store.newest_confirmed_anchor(&DatanetId(root)).unwrap(),
            None
        );
        assert_eq!(
            store.anchor(&datanet, 8).unwrap().unwrap().state,
            AnchorState::Skipped
        );
    }
}

#[test]
fn a_chain_set_applies_from_its_epoch_until_a_later_one_and_is_never_replaced() {
    use datanet_protocol::signed::{Threshold, Validator};
    use datanet_protocol::ValidatorSet;
    let set = |stakes: &[u64]| {
        ValidatorSet::new(
            stakes
                .iter()
                .enumerate()
                .map(|(i, stake)| Validator {
                    key: SecretKey::from_seed([i as u8 + 1; 32]).public(),
                    stake: *stake,
                })
                .collect(),
            Threshold::TWO_THIRDS,
        )
        .unwrap()
    };
    for (store, dir) in stores() {
        let datanet = DatanetId(hash(Domain::Datanet, b"x"));
        let (first, second) = (set(&[1, 1, 1]), set(&[5, 1, 1]));
        assert_eq!(store.chain_set_at(&datanet, 100).unwrap(), None);
        assert!(store.put_chain_set(&datanet, 10, &first).unwrap());
        assert!(!store.put_chain_set(&datanet, 10, &first).unwrap());
        assert!(matches!(
            store.put_chain_set(&datanet, 10, &second),
            Err(StoreError::Conflict(_))
        ));
        assert!(store.put_chain_set(&datanet, 20, &second).unwrap());
        assert_eq!(store.chain_set_at(&datanet, 9).unwrap(), None);
        assert_eq!(
            store.chain_set_at(&datanet, 10).unwrap(),
            Some(first.clone())
        );
        assert_eq!(
            store.chain_set_at(&datanet, 19).unwrap(),
            Some(first.clone())
        );
        assert_eq!(
            store.chain_set_at(&datanet, 20).unwrap(),
            Some(second.clone())
        );
        assert_eq!(
            store.newest_chain_set(&datanet).unwrap(),
            Some(second.clone())
        );
        let other = DatanetId(hash(Domain::Datanet, b"y"));
        assert_eq!(store.newest_chain_set(&other).unwrap(), None);
        if let Some(dir) = dir {
            drop(store);
            let reopened = Store::open(dir.path()).unwrap();
            assert_eq!(reopened.chain_set_at(&datanet, 25).unwrap(), Some(second));
        }
    }
}

#[test]
fn a_peer_is_listed_until_removed_and_an_overlong_peer_id_is_refused() {
    for (store, _dir) in stores() {
        let peer = PeerRecord {
            peer_id: vec![1, 2, 3],
            addresses: vec!["/ip4/127.0.0.1/tcp/4001".into()],
            last_seen_ms: 5,
        };
        store.put_peer(&peer).unwrap();
        assert_eq!(store.peers().unwrap(), vec![peer.clone()]);
        assert!(store
            .put_peer(&PeerRecord {
                peer_id: vec![0; 65],
                ..peer.clone()
            })
            .is_err());
        store.remove_peer(&peer.peer_id).unwrap();
        assert!(store.peers().unwrap().is_empty());
    }
}

/// A datanet record with no validators and the default policy, signed by seed 10's key.
fn sample_datanet() -> datanet_protocol::Datanet {
    use datanet_protocol::{Datanet, DatanetBody};
    let owner = SecretKey::from_seed([10; 32]);
    Datanet::sign(
        DatanetBody {
            name: "n".into(),
            description: String::new(),
            owner: owner.public(),
            policy: Default::default(),
            validators: None,
            created_ms: 1,
            nonce: 1,
        },
        &owner,
    )
    .unwrap()
}

#[test]
fn a_datanet_record_is_read_back_by_its_id_and_listed() {
    for (store, _dir) in stores() {
        let record = sample_datanet();
        let id = store.put_datanet(&record).unwrap();
        assert_eq!(store.datanet(&id).unwrap(), Some(record.clone()));
        assert_eq!(store.datanets().unwrap(), vec![record]);
    }
}

#[test]
fn a_format_4_store_with_a_version_1_datanet_record_is_refused_and_left_as_it_was() {
    use datanet_protocol::encoding::Encode;
    let record = sample_datanet();
    let id = record.id();
    let mut old = record.to_bytes();
    old[0] = 1;
    let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::default());
    let format_4 = vec![
        Op::Put(key(Kind::Format, &[]), 4u32.to_be_bytes().to_vec()),
        Op::Put(key(Kind::Datanet, &[&id.0 .0]), old),
    ];
    backend.commit(format_4).unwrap();
    let refused = Store::with_backend(Arc::clone(&backend)).unwrap_err();
    assert!(
        matches!(&refused, StoreError::OldDatanetRecords { ids } if ids == &[id.to_string()]),
        "{refused}"
    );
    assert!(refused.to_string().contains("cannot be re-encoded"));
    assert_eq!(
        backend.get(&key(Kind::Format, &[])).unwrap(),
        Some(4u32.to_be_bytes().to_vec())
    );

    backend
        .commit(vec![Op::Put(
            key(Kind::Datanet, &[&id.0 .0]),
            record.to_bytes(),
        )])
        .unwrap();
    let store = Store::with_backend(Arc::clone(&backend)).unwrap();
    assert_eq!(store.datanets().unwrap(), vec![record]);
    assert_eq!(
        backend.get(&key(Kind::Format, &[])).unwrap(),
        Some(FORMAT_VERSION.to_be_bytes().to_vec())
    );
}

#[test]
fn disk_store_survives_reopening_and_catches_a_flipped_file_byte() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample_contribution(8, 0, 9_000);
    {
        let store = Store::open(dir.path()).unwrap();
        put(&store, &s);
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.manifest(&s.manifest.id()).unwrap(),
        Some(s.manifest.clone())
    );
    let id = s.manifest.body().chunks[0].id;
    let hex = id.to_string();
    let real = dir.path().join("chunks").join(&hex[..2]).join(&hex[2..]);
    let mut bytes = std::fs::read(&real).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&real, bytes).unwrap();
    assert!(matches!(
        store.chunk(&id),
        Err(StoreError::Corrupted { .. })
    ));
    assert_eq!(store.repair_list().unwrap(), vec![RepairItem::Chunk(id)]);
}

#[tokio::test]
async fn async_handle_runs_store_calls_off_the_runtime() {
    let store = crate::AsyncStore::new(Store::memory());
    let id = store.run(|s| s.put_chunk(b"async")).await.unwrap();
    let back = store.run(move |s| s.chunk(&id)).await.unwrap();
    assert_eq!(back.as_deref(), Some(&b"async"[..]));
}

#[test]
fn column_halves_are_extended_verified_and_stored_all_or_none() {
    for (store, _dir) in stores() {
        let s = sample_contribution(11, 0, 40_000);
        let header = &s.headers[0];
        let lines: Vec<&Line> = s.columns.iter().map(|(_, l)| l).take(3).collect();
        let halves: Vec<ColumnHalf> = lines
            .iter()
            .map(|l| ColumnHalf {
                index: l.index,
                top_half: l.top_half().to_vec().into(),
                axis_path: l.axis_path.clone(),
            })
            .collect();
        let mut bad_half = lines[2].top_half().to_vec();
        bad_half[0] ^= 1;
        let mut tampered = halves.clone();
        tampered[2].top_half = bad_half.into();
        assert!(matches!(
            store.put_column_halves(header, &tampered),
            Err(StoreError::Invalid(_))
        ));
        assert!(store.column_indices(&header.da_root()).unwrap().is_empty());
        store.put_column_halves(header, &halves).unwrap();
        for line in lines {
            assert_eq!(
                store
                    .column(&header.da_root(), line.index)
                    .unwrap()
                    .as_ref(),
                Some(line)
            );
        }
    }
}

#[test]
fn only_a_verifying_fraud_proof_marks_a_square_invalid() {
    use datanet_protocol::SquareError;
    for (store, _dir) in stores() {
        let good = ExtendedSquare::encode(&[4u8; 30_000], CodecId::RsLeopard).unwrap();
        let bad = mis_encoded_square(&good, Fault::Share { row: 0, col: 0 });
        let columns: Vec<Line> = (1..=good.params().k())
            .map(|c| bad.column(c).unwrap())
            .collect();
        let Err(SquareError::BadEncoding(proof)) =
            ExtendedSquare::reconstruct(&bad.header(), &columns)
        else {
            panic!("expected a fraud proof");
        };
        assert!(matches!(
            store.mark_invalid(&good.da_root(), &proof),
            Err(StoreError::Invalid(_))
        ));
        assert!(!store.is_invalid(&good.da_root()).unwrap());
        store.mark_invalid(&bad.da_root(), &proof).unwrap();
        assert!(store.is_invalid(&bad.da_root()).unwrap());
        assert_eq!(
            store.invalid_proof(&bad.da_root()).unwrap().as_ref(),
            Some(&*proof)
        );
    }
}

/// A 40 000-byte chunk (bytes cycling modulo `modulus`), its extended square and top half.
fn encoded(modulus: u32) -> (Vec<u8>, ExtendedSquare, TopHalf) {
    let chunk: Vec<u8> = (0..40_000u32).map(|i| (i % modulus) as u8).collect();
    let square = ExtendedSquare::encode(&chunk, CodecId::RsLeopard).unwrap();
    let top = TopHalf::encode(&chunk, CodecId::RsLeopard).unwrap();
    (chunk, square, top)
}

#[test]
fn a_chunk_with_the_bytes_that_name_a_column_blob_leaves_the_blob_alone() {
    for (store, _dir) in stores() {
        let (_, square, top) = encoded(251);
        let root = square.da_root();
        store
            .put_encoded_columns(&square.header(), &top, &[0, 5, 7])
            .unwrap();
        let mut name_input = root.0 .0.to_vec();
        for index in [0u16, 5, 7] {
            name_input.extend_from_slice(&index.to_be_bytes());
        }
        store.put_chunk(&name_input).unwrap();
        store
            .put_encoded_columns(&square.header(), &top, &[5])
            .unwrap();
        for index in [0u16, 5, 7] {
            let line = store.column(&root, index).unwrap().unwrap();
            assert_eq!(line, square.column(index.into()).unwrap());
        }
        assert_eq!(
            store.chunk(&ChunkId::of(&name_input)).unwrap(),
            Some(name_input)
        );
    }
}

#[test]
fn columns_of_a_square_encoded_here_are_stored_and_read_back_verified() {
    for (store, _dir) in stores() {
        let (chunk, square, top) = encoded(253);
        let (root, header) = (square.da_root(), square.header());
        store
            .put_encoded_columns(&header, &top, &[0, 5, 7])
            .unwrap();
        assert_eq!(store.column_indices(&root).unwrap(), vec![0, 5, 7]);
        assert_eq!(store.header(&root).unwrap(), Some(square.header()));
        for index in [0u16, 5, 7] {
            let line = store.column(&root, index).unwrap().unwrap();
            assert_eq!(line, square.column(index.into()).unwrap());
        }
        let outside = square.params().width() as u16;
        let other = TopHalf::encode(&chunk[..100], CodecId::RsLeopard).unwrap();
        for refused in [
            store.put_encoded_columns(&header, &top, &[1, outside]),
            store.put_encoded_columns(&header, &top, &[1, 1]),
            store.put_encoded_columns(&header, &other, &[1]),
        ] {
            assert!(
                matches!(refused, Err(StoreError::Invalid(_))),
                "{refused:?}"
            );
        }
        assert_eq!(
            store.column(&root, 1).unwrap(),
            None,
            "nothing of a refused batch"
        );
    }
}

#[test]
fn contributions_are_listed_per_datanet_in_pages_from_a_cursor_and_a_format_3_store_is_indexed() {
    for (store, _dir) in stores() {
        let samples: Vec<SampleContribution> =
            (0..5).map(|n| sample_contribution(12, n, 3_000)).collect();
        for s in &samples {
            put(&store, s);
        }
        let datanet = samples[0].manifest.body().datanet;
        let mut all: Vec<_> = samples.iter().map(|s| s.manifest.id()).collect();
        all.sort();
        let first = store
            .contributions_of(&datanet, &Default::default(), 2)
            .unwrap();
        assert_eq!(first, all[..2]);
        let rest = store.contributions_of(&datanet, &first[1], 10).unwrap();
        assert_eq!(rest, all[2..], "the next page starts after the cursor");
        let other = DatanetId(hash(Domain::Datanet, b"another datanet"));
        assert!(store
            .contributions_of(&other, &Default::default(), 10)
            .unwrap()
            .is_empty());

        let backend = Arc::clone(store.backend());
        let mut ops = vec![Op::Put(key(Kind::Format, &[]), 3u32.to_be_bytes().to_vec())];
        for (k, _) in backend.scan(&key(Kind::Listed, &[])).unwrap() {
            ops.push(Op::Delete(k));
        }
        backend.commit(ops).unwrap();
        let unindexed = Store::with_backend(Arc::clone(&backend)).unwrap();
        assert_eq!(
            unindexed
                .contributions_of(&datanet, &Default::default(), 10)
                .unwrap(),
            all,
            "opening a format-3 store indexes what it holds"
        );
    }
}
