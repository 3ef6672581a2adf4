//! Tests of encoding, proofs, lines and reconstruction of the extended square.

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::*;
use crate::encoding::{Decode, Encode};
use crate::fraud::FraudError;
use crate::test_utils::{mis_encoded_square, Fault};

fn random_chunk(rng: &mut StdRng, len: usize) -> Vec<u8> {
    let mut chunk = vec![0u8; len];
    rng.fill(chunk.as_mut_slice());
    chunk
}

/// The square (Leopard codec) of a random chunk of `len` bytes.
fn random_square(rng: &mut StdRng, len: usize) -> ExtendedSquare {
    ExtendedSquare::encode(&random_chunk(rng, len), CodecId::RsLeopard).unwrap()
}

/// A chunk length whose square has width `k`.
fn len_for_k(rng: &mut StdRng, k: usize) -> usize {
    let max = k * k * SHARE_SIZE;
    let min = if k == 1 {
        0
    } else {
        (k / 2) * (k / 2) * SHARE_SIZE + 1
    };
    rng.gen_range(min..=max)
}

/// A random chunk whose square has width `k`.
fn chunk_for_k(rng: &mut StdRng, k: usize) -> Vec<u8> {
    let len = len_for_k(rng, k);
    random_chunk(rng, len)
}

/// Every row and every column of the square is a codeword of its codec.
fn assert_all_lines_are_codewords(square: &ExtendedSquare) {
    for axis in [Axis::Row, Axis::Col] {
        for i in 0..square.params().width() {
            assert!(
                square.line(axis, i).unwrap().is_codeword().unwrap(),
                "{axis:?} {i}"
            );
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Pattern {
    /// Keep `k` random columns.
    KColumns,
    /// Keep `k` random rows.
    KRows,
    /// In every row drop up to `k` random shares.
    RowsHalfFull,
    /// In every column drop up to `k` random shares.
    ColumnsHalfFull,
}

/// The cells (row-major indices) to keep under `pattern`.
fn kept_cells(rng: &mut StdRng, k: usize, pattern: Pattern) -> Vec<bool> {
    let w = 2 * k;
    let mut keep = vec![false; w * w];
    let mut lines: Vec<usize> = (0..w).collect();
    match pattern {
        Pattern::KColumns | Pattern::KRows => {
            lines.shuffle(rng);
            for &l in &lines[..k] {
                for p in 0..w {
                    let cell = if matches!(pattern, Pattern::KRows) {
                        l * w + p
                    } else {
                        p * w + l
                    };
                    keep[cell] = true;
                }
            }
        }
        Pattern::RowsHalfFull | Pattern::ColumnsHalfFull => {
            for l in 0..w {
                let mut pos: Vec<usize> = (0..w).collect();
                pos.shuffle(rng);
                let kept = rng.gen_range(k..=w);
                for &p in &pos[..kept] {
                    let cell = if matches!(pattern, Pattern::RowsHalfFull) {
                        l * w + p
                    } else {
                        p * w + l
                    };
                    keep[cell] = true;
                }
            }
        }
    }
    keep
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn reconstruction_from_any_decodable_pattern_is_bit_exact(
        log_k in 0u32..=7,
        seed in any::<u64>(),
        codec_pick in 0usize..2,
        pattern_pick in 0usize..4,
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let k = 1usize << log_k;
        let codec = CodecId::ALL[codec_pick];
        let chunk = chunk_for_k(&mut rng, k);
        let square = ExtendedSquare::encode(&chunk, codec).unwrap();
        prop_assert_eq!(square.params().k(), k);
        let pattern = [Pattern::KColumns, Pattern::KRows, Pattern::RowsHalfFull, Pattern::ColumnsHalfFull][pattern_pick];
        let keep = kept_cells(&mut rng, k, pattern);
        let w = 2 * k;
        let mut partial = PartialSquare::new(*square.params()).unwrap();
        for (cell, kept) in keep.iter().enumerate() {
            if *kept {
                partial.insert(cell / w, cell % w, square.share(cell / w, cell % w).unwrap()).unwrap();
            }
        }
        let rebuilt = partial.solve().unwrap();
        prop_assert_eq!(rebuilt.da_root(), square.da_root());
        prop_assert_eq!(rebuilt.chunk_bytes(), chunk);
    }

    #[test]
    fn every_share_proof_verifies_and_any_flipped_bit_fails(
        log_k in 0u32..=3,
        seed in any::<u64>(),
        codec_pick in 0usize..2,
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let k = 1usize << log_k;
        let chunk = chunk_for_k(&mut rng, k);
        let square = ExtendedSquare::encode(&chunk, CodecId::ALL[codec_pick]).unwrap();
        let root = square.da_root();
        let w = 2 * k;
        for row in 0..w {
            for col in 0..w {
                for axis in [Axis::Row, Axis::Col] {
                    let proof = square.share_proof_via(axis, row, col).unwrap();
                    let share = square.share(row, col).unwrap();
                    prop_assert!(proof.verify(&root, row, col, share).is_ok());

                    let mut bad_share = share.to_vec();
                    let bit = rng.gen_range(0..SHARE_SIZE * 8);
                    bad_share[bit / 8] ^= 1 << (bit % 8);
                    prop_assert!(proof.verify(&root, row, col, &bad_share).is_err());

                    let mut bytes = proof.to_bytes();
                    let bit = rng.gen_range(0..bytes.len() * 8);
                    bytes[bit / 8] ^= 1 << (bit % 8);
                    // A flipped bit may only ever yield another honest proof of the same
                    // share: at k = 1 every line holds the same two shares, so the axis byte
                    // flipped gives the proof through the crossing line, which is true.
                    if let Ok(bad_proof) = ShareProof::from_bytes(&bytes) {
                        if bad_proof.verify(&root, row, col, share).is_ok() {
                            prop_assert_eq!(
                                &bad_proof,
                                &square.share_proof_via(bad_proof.axis, row, col).unwrap()
                            );
                        }
                    }

                    let mut bad_root = root;
                    let bit = rng.gen_range(0..256);
                    bad_root.0 .0[bit / 8] ^= 1 << (bit % 8);
                    prop_assert!(proof.verify(&bad_root, row, col, share).is_err());
                }
            }
        }
    }
}

#[test]
fn every_line_of_every_width_is_a_codeword_for_both_codecs() {
    let mut rng = StdRng::seed_from_u64(7);
    for codec in CodecId::ALL {
        for log_k in 0..=7 {
            let k = 1usize << log_k;
            let chunk = chunk_for_k(&mut rng, k);
            let square = ExtendedSquare::encode(&chunk, codec).unwrap();
            assert_all_lines_are_codewords(&square);
            assert_eq!(square.chunk_bytes(), chunk);
        }
    }
}

#[test]
fn codec_is_part_of_the_commitment() {
    let chunk = vec![3u8; 5000];
    let a = ExtendedSquare::encode(&chunk, CodecId::RsLeopard).unwrap();
    let b = ExtendedSquare::encode(&chunk, CodecId::RsVandermonde).unwrap();
    assert_ne!(a.da_root(), b.da_root());
}

#[test]
fn shares_proven_at_another_position_fail() {
    let mut rng = StdRng::seed_from_u64(9);
    let square = random_square(&mut rng, 16 * SHARE_SIZE);
    let root = square.da_root();
    let proof = square.share_proof(1, 2).unwrap();
    let share = square.share(1, 2).unwrap();
    assert!(proof.verify(&root, 1, 2, share).is_ok());
    assert!(proof.verify(&root, 2, 1, share).is_err());
    assert!(proof.verify(&root, 1, 3, share).is_err());
    assert!(matches!(
        proof.verify(&root, 1, 99, share),
        Err(ProofError::IndexOutOfRange { .. })
    ));
}

#[test]
fn a_share_checks_against_its_header_with_its_share_path_alone() {
    let mut rng = StdRng::seed_from_u64(10);
    let square = random_square(&mut rng, 40 * SHARE_SIZE);
    let header = square.header();
    let w = square.params().width();
    for axis in [Axis::Row, Axis::Col] {
        for (row, col) in [(0, 0), (1, 2), (w - 1, 3), (w - 1, w - 1)] {
            let mut proof = square.share_proof_via(axis, row, col).unwrap();
            proof.axis_path.clear();
            let share = square.share(row, col).unwrap();
            proof.verify_in(&header, row, col, share).unwrap();
            assert!(proof.verify_in(&header, col, row, share).is_err() || row == col);
            let mut flipped = share.to_vec();
            flipped[0] ^= 1;
            assert_eq!(
                proof.verify_in(&header, row, col, &flipped),
                Err(ProofError::RootMismatch)
            );
        }
    }
    let proof = square.share_proof_via(Axis::Col, 1, 2).unwrap();
    let share = square.share(1, 2).unwrap();
    let other = random_square(&mut rng, 40 * SHARE_SIZE);
    assert!(proof.verify_in(&other.header(), 1, 2, share).is_err());
    let smaller = ExtendedSquare::encode(&[1u8; 100], CodecId::RsLeopard).unwrap();
    assert_eq!(
        proof.verify_in(&smaller.header(), 1, 2, share),
        Err(ProofError::RootMismatch)
    );
    assert!(matches!(
        proof.verify_in(&header, 1, w, share),
        Err(ProofError::IndexOutOfRange { .. })
    ));
}

#[test]
fn oversized_chunk_is_refused() {
    let chunk = vec![0u8; crate::chunking::MAX_CHUNK_LEN + 1];
    assert!(matches!(
        ExtendedSquare::encode(&chunk, CodecId::RsLeopard),
        Err(SquareError::Params(ParamsError::ChunkTooLarge { .. }))
    ));
}

#[test]
fn columns_verify_round_trip_and_rebuild_from_their_top_half() {
    let mut rng = StdRng::seed_from_u64(3);
    let chunk = random_chunk(&mut rng, 60_000);
    let square = ExtendedSquare::encode(&chunk, CodecId::RsLeopard).unwrap();
    let root = square.da_root();
    for c in 0..square.params().width() {
        let column = square.column(c).unwrap();
        column.verify(&root).unwrap();
        assert_eq!(Line::from_bytes(&column.to_bytes()).unwrap(), column);
        assert_eq!(column.encoded_len(), Some(column.to_bytes().len()));
        let rebuilt = Line::from_half(
            column.params,
            Axis::Col,
            column.index,
            column.top_half(),
            column.axis_path.clone(),
        )
        .unwrap();
        assert_eq!(rebuilt, column);
    }
    let mut wrong = square.column(1).unwrap();
    wrong.index = 2;
    assert!(wrong.verify(&root).is_err());
    let mut tampered = square.column(1).unwrap();
    tampered.shares[700] ^= 1;
    assert!(tampered.verify(&root).is_err());
}

#[test]
fn a_top_half_verifies_only_as_its_own_line_of_its_own_square() {
    let mut rng = StdRng::seed_from_u64(4);
    let square = random_square(&mut rng, 60_000);
    let (params, root) = (*square.params(), square.da_root());
    let check = |axis, index, half: &[u8], path: &[Hash]| {
        Line::verify_half(&params, axis, index, half, path, &root)
    };
    for axis in [Axis::Row, Axis::Col] {
        for i in 0..params.width() {
            let line = square.line(axis, i).unwrap();
            check(axis, line.index, line.top_half(), &line.axis_path).unwrap();
        }
    }
    let line = square.column(3).unwrap();
    let (half, path) = (line.top_half(), line.axis_path.as_slice());
    let invalid = |r: Result<(), SquareError>| matches!(r, Err(SquareError::InvalidLine { .. }));
    assert!(invalid(check(Axis::Col, 4, half, path)));
    assert!(invalid(check(Axis::Row, 3, half, path)));
    let mut flipped = half.to_vec();
    flipped[10] ^= 1;
    assert!(invalid(check(Axis::Col, 3, &flipped, path)));
    assert!(invalid(check(Axis::Col, 3, half, &path[1..])));
    assert!(matches!(
        check(Axis::Col, 3, &half[1..], path),
        Err(SquareError::WrongLength { .. })
    ));
    assert!(matches!(
        check(Axis::Col, params.width() as u16, half, path),
        Err(SquareError::IndexOutOfRange { .. })
    ));
}

#[test]
fn the_top_half_and_header_paths_give_every_column_as_the_square_does() {
    let mut rng = StdRng::seed_from_u64(11);
    for codec in CodecId::ALL {
        for k in [1, 2, 8, 32] {
            let chunk = chunk_for_k(&mut rng, k);
            let square = ExtendedSquare::encode(&chunk, codec).unwrap();
            let top = TopHalf::encode(&chunk, codec).unwrap();
            let paths = square.header().axis_paths(Axis::Col);
            assert_eq!((top.params(), paths.len()), (square.params(), 2 * k));
            for (c, path) in paths.iter().enumerate() {
                let column = square.column(c).unwrap();
                assert_eq!(
                    top.column(c).unwrap(),
                    column.top_half(),
                    "{codec:?} k={k} column {c}"
                );
                assert_eq!(path, &column.axis_path);
                assert_eq!(
                    square.header().axis_path(Axis::Col, c).unwrap(),
                    column.axis_path
                );
            }
            assert!(top.column(2 * k).is_err());
            assert_eq!(square.into_top_half(), top);
        }
    }
}

#[test]
fn header_round_trips_and_gives_the_da_root() {
    let square = ExtendedSquare::encode(&[1u8; 9000], CodecId::RsVandermonde).unwrap();
    let header = square.header();
    assert_eq!(header.da_root(), square.da_root());
    assert_eq!(
        SquareHeader::from_bytes(&header.to_bytes()).unwrap(),
        header
    );
    let mut short = header.clone();
    short.row_roots.pop();
    assert!(SquareHeader::from_bytes(&short.to_bytes()).is_err());
}

#[test]
fn reconstruct_from_k_columns_and_refuse_fewer() {
    let mut rng = StdRng::seed_from_u64(11);
    for codec in CodecId::ALL {
        let chunk = random_chunk(&mut rng, 200_000);
        let square = ExtendedSquare::encode(&chunk, codec).unwrap();
        let header = square.header();
        let k = square.params().k();
        let columns: Vec<Line> = (k / 2..k / 2 + k)
            .map(|c| square.column(c).unwrap())
            .collect();
        let rebuilt = ExtendedSquare::reconstruct(&header, &columns).unwrap();
        assert_eq!(rebuilt.chunk_bytes(), chunk);
        assert!(matches!(
            ExtendedSquare::reconstruct(&header, &columns[1..]),
            Err(SquareError::NotEnoughShares { .. })
        ));
    }
}

/// The top halves of `columns` of `square`, as a reader is sent them.
fn top_halves(square: &ExtendedSquare, columns: &[usize]) -> Vec<(u16, Vec<u8>)> {
    columns
        .iter()
        .map(|c| (*c as u16, square.column(*c).unwrap().top_half().to_vec()))
        .collect()
}

fn borrowed(halves: &[(u16, Vec<u8>)]) -> Vec<(u16, &[u8])> {
    halves.iter().map(|(i, h)| (*i, h.as_slice())).collect()
}

#[test]
fn any_k_column_top_halves_rebuild_the_committed_square() {
    let mut rng = StdRng::seed_from_u64(12);
    for codec in CodecId::ALL {
        for k in [1, 4, 16] {
            let chunk = chunk_for_k(&mut rng, k);
            let square = ExtendedSquare::encode(&chunk, codec).unwrap();
            let w = square.params().width();
            let mut shuffled: Vec<usize> = (0..w).collect();
            shuffled.shuffle(&mut rng);
            for columns in [
                (0..k).collect::<Vec<_>>(),
                (k..w).collect(),
                shuffled[..k].to_vec(),
            ] {
                let halves = top_halves(&square, &columns);
                let rebuilt =
                    ExtendedSquare::from_column_halves(&square.header(), &borrowed(&halves))
                        .unwrap();
                assert!(rebuilt == square, "{codec:?} k={k} columns {columns:?}");
                assert_eq!(rebuilt.chunk_bytes(), chunk);
            }
        }
    }
}

#[test]
fn column_top_halves_that_do_not_rebuild_the_commitment_are_refused() {
    let mut rng = StdRng::seed_from_u64(13);
    let chunk = chunk_for_k(&mut rng, 8);
    let square = ExtendedSquare::encode(&chunk, CodecId::RsLeopard).unwrap();
    let header = square.header();
    let (k, w) = (square.params().k(), square.params().width());
    let systematic: Vec<usize> = (0..k).collect();
    let parity: Vec<usize> = (k..w).collect();
    for columns in [&systematic, &parity] {
        let mut halves = top_halves(&square, columns);
        halves[3].1[100] ^= 1;
        assert!(matches!(
            ExtendedSquare::from_column_halves(&header, &borrowed(&halves)),
            Err(SquareError::Inconsistent { mismatched }) if mismatched > 0
        ));
    }
    let halves = top_halves(&square, &systematic);
    let fewer = borrowed(&halves[1..]);
    assert!(matches!(
        ExtendedSquare::from_column_halves(&header, &fewer),
        Err(SquareError::NotEnoughShares { .. })
    ));
    let mut repeated = borrowed(&halves[1..]);
    repeated.push(repeated[0]);
    assert!(matches!(
        ExtendedSquare::from_column_halves(&header, &repeated),
        Err(SquareError::NotEnoughShares { .. })
    ));
    let mut outside = borrowed(&halves);
    outside[0].0 = w as u16;
    assert!(matches!(
        ExtendedSquare::from_column_halves(&header, &outside),
        Err(SquareError::IndexOutOfRange { .. })
    ));
    let short = [0u8; SHARE_SIZE];
    let mut cut = borrowed(&halves);
    cut[0].1 = &short;
    assert!(matches!(
        ExtendedSquare::from_column_halves(&header, &cut),
        Err(SquareError::WrongLength { .. })
    ));
}

#[test]
fn a_square_with_bytes_in_its_padding_is_not_rebuilt_from_halves() {
    let chunk = vec![9u8; 3 * SHARE_SIZE + 10];
    let honest = ExtendedSquare::encode(&chunk, CodecId::RsLeopard).unwrap();
    let params = *honest.params();
    let mut padded = chunk.clone();
    padded.resize(params.k() * params.k() * SHARE_SIZE, 0);
    *padded.last_mut().unwrap() = 1;
    let mut data = vec![0u8; params.width() * params.line_bytes()];
    lay_out(&params, &padded, &mut data);
    extend(&params, &mut data).unwrap();
    let dirty = ExtendedSquare::from_shares_unchecked(params, data).unwrap();
    assert_all_lines_are_codewords(&dirty);
    let halves = top_halves(&dirty, &(0..params.k()).collect::<Vec<_>>());
    assert!(matches!(
        ExtendedSquare::from_column_halves(&dirty.header(), &borrowed(&halves)),
        Err(SquareError::Inconsistent { .. })
    ));
}

#[test]
fn withholding_k_plus_one_squared_shares_prevents_reconstruction() {
    let square = ExtendedSquare::encode(&[5u8; 8 * 8 * SHARE_SIZE], CodecId::RsLeopard).unwrap();
    let (k, w) = (square.params().k(), square.params().width());
    let mut partial = PartialSquare::new(*square.params()).unwrap();
    for row in 0..w {
        for col in 0..w {
            if !(row <= k && col <= k) {
                partial
                    .insert(row, col, square.share(row, col).unwrap())
                    .unwrap();
            }
        }
    }
    assert_eq!(partial.known(), w * w - (k + 1) * (k + 1));
    assert!(matches!(
        partial.solve(),
        Err(SquareError::NotEnoughShares { .. })
    ));
}

#[test]
fn a_line_from_another_square_is_refused() {
    let a = ExtendedSquare::encode(&[1u8; 4000], CodecId::RsLeopard).unwrap();
    let b = ExtendedSquare::encode(&[2u8; 4000], CodecId::RsLeopard).unwrap();
    let lines: Vec<Line> = (0..4).map(|c| b.column(c).unwrap()).collect();
    assert!(matches!(
        ExtendedSquare::reconstruct(&a.header(), &lines),
        Err(SquareError::InvalidLine { .. })
    ));
}

#[test]
fn mis_encoded_square_yields_a_verifying_fraud_proof() {
    for codec in CodecId::ALL {
        for (len, row, col) in [
            (100_000usize, 3usize, 20usize),
            (3000, 0, 3),
            (600_000, 40, 40),
        ] {
            let mut rng = StdRng::seed_from_u64(len as u64);
            let good = ExtendedSquare::encode(&random_chunk(&mut rng, len), codec).unwrap();
            let bad = mis_encoded_square(&good, Fault::Share { row, col });
            let header = bad.header();
            let k = bad.params().k();
            let columns: Vec<Line> = (0..bad.params().width())
                .filter(|c| *c != col)
                .take(k)
                .map(|c| bad.column(c).unwrap())
                .collect();
            for c in &columns {
                c.verify(&header.da_root()).unwrap();
            }
            let err = ExtendedSquare::reconstruct(&header, &columns).unwrap_err();
            let SquareError::BadEncoding(proof) = err else {
                panic!("expected a fraud proof, got {err:?}");
            };
            assert_eq!(proof.verify(&bad.da_root()), Ok(()));
            let decoded = BadEncodingProof::from_bytes(&proof.to_bytes()).unwrap();
            assert_eq!(decoded.verify(&bad.da_root()), Ok(()));
            assert!(!bad.column(col).unwrap().is_codeword().unwrap());
        }
    }
}

#[test]
fn no_fraud_proof_verifies_against_a_correct_square() {
    let mut rng = StdRng::seed_from_u64(5);
    let chunk = random_chunk(&mut rng, 100_000);
    let square = ExtendedSquare::encode(&chunk, CodecId::RsLeopard).unwrap();
    let header = square.header();
    let root = square.da_root();
    let k = square.params().k();
    for axis in [Axis::Row, Axis::Col] {
        for index in [0, k - 1, 2 * k - 1] {
            assert!(BadEncodingProof::from_rebuilt(&header, &square, axis, index).is_none());
            let honest = honest_accusation(&square, axis, index);
            assert_eq!(honest.verify(&root), Err(FraudError::NotFraud));

            let mut wrong_root = honest.clone();
            wrong_root.line_root.0[0] ^= 1;
            assert!(matches!(
                wrong_root.verify(&root),
                Err(FraudError::Proof(_))
            ));

            let mut wrong_share = honest.clone();
            wrong_share.witnesses[0].share[0] ^= 1;
            assert!(matches!(
                wrong_share.verify(&root),
                Err(FraudError::Proof(_))
            ));

            let mut repeated = honest.clone();
            repeated.witnesses[1] = repeated.witnesses[0].clone();
            assert!(matches!(
                repeated.verify(&root),
                Err(FraudError::Malformed(_))
            ));

            let mut short = honest.clone();
            short.witnesses.pop();
            assert!(matches!(short.verify(&root), Err(FraudError::Malformed(_))));

            let mut same_axis = honest.clone();
            same_axis.witnesses[0].proof = square
                .share_proof_via(
                    axis,
                    same_axis.witnesses[0].proof_row(axis, index),
                    same_axis.witnesses[0].proof_col(axis, index),
                )
                .unwrap();
            assert!(matches!(
                same_axis.verify(&root),
                Err(FraudError::Malformed(_))
            ));
        }
    }
}

/// An accusation of a correct line, built from genuine shares and proofs.
fn honest_accusation(square: &ExtendedSquare, axis: Axis, index: usize) -> BadEncodingProof {
    let header = square.header();
    let k = square.params().k();
    let witnesses = (0..k)
        .map(|pos| {
            let (row, col) = match axis {
                Axis::Row => (index, pos),
                Axis::Col => (pos, index),
            };
            crate::fraud::Witness {
                position: pos as u16,
                share: square.share(row, col).unwrap().to_vec(),
                proof: square.share_proof_via(axis.crossing(), row, col).unwrap(),
            }
        })
        .collect();
    BadEncodingProof {
        params: *square.params(),
        axis,
        index: index as u16,
        line_root: header.root(axis, index).unwrap(),
        axis_path: header.axis_path(axis, index).unwrap(),
        witnesses,
    }
}

impl crate::fraud::Witness {
    fn proof_row(&self, axis: Axis, index: usize) -> usize {
        match axis {
            Axis::Row => index,
            Axis::Col => self.position.into(),
        }
    }

    fn proof_col(&self, axis: Axis, index: usize) -> usize {
        match axis {
            Axis::Row => self.position.into(),
            Axis::Col => index,
        }
    }
}

#[test]
fn column_roots_by_row_pairs_equal_each_column_tree() {
    let mut rng = StdRng::seed_from_u64(21);
    let square = ExtendedSquare::encode(&chunk_for_k(&mut rng, 16), CodecId::RsLeopard).unwrap();
    for c in 0..square.params().width() {
        let leaves = square.line_leaves(Axis::Col, c);
        assert_eq!(square.col_roots()[c], commit::line_root(&leaves));
    }
}
