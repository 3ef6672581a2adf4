//! The default codec: `reed-solomon-simd`, an FFT-based Reed-Solomon code over GF(2^16).

use std::cell::RefCell;

use reed_solomon_simd::{ReedSolomonDecoder, ReedSolomonEncoder};

use super::{check_encode, check_reconstruct, CodecError, CodecId, ErasureCode};

/// The `rs-leopard` codec.
pub(super) struct Leopard;

thread_local! {
    static ENCODER: RefCell<Option<ReedSolomonEncoder>> = const { RefCell::new(None) };
    static DECODER: RefCell<Option<ReedSolomonDecoder>> = const { RefCell::new(None) };
}

fn layout(e: reed_solomon_simd::Error) -> CodecError {
    CodecError::Layout(e.to_string())
}

impl ErasureCode for Leopard {
    fn id(&self) -> CodecId {
        CodecId::RsLeopard
    }

    fn encode(&self, original: &[&[u8]], recovery: &mut [&mut [u8]]) -> Result<(), CodecError> {
        let (k, size) = check_encode(original, recovery)?;
        ENCODER.with_borrow_mut(|slot| {
            let encoder = match slot {
                Some(e) => {
                    e.reset(k, k, size).map_err(layout)?;
                    e
                }
                None => slot.insert(ReedSolomonEncoder::new(k, k, size).map_err(layout)?),
            };
            for shard in original {
                encoder.add_original_shard(shard).map_err(layout)?;
            }
            let result = encoder.encode().map_err(layout)?;
            for (out, computed) in recovery.iter_mut().zip(result.recovery_iter()) {
                out.copy_from_slice(computed);
            }
            Ok(())
        })
    }

    fn reconstruct_originals(
        &self,
        shards: &mut [&mut [u8]],
        present: &[bool],
    ) -> Result<(), CodecError> {
        let k = check_reconstruct(shards, present)?;
        let size = shards[0].len();
        if present[..k].iter().all(|p| *p) {
            return Ok(());
        }
        DECODER.with_borrow_mut(|slot| {
            let decoder = match slot {
                Some(d) => {
                    d.reset(k, k, size).map_err(layout)?;
                    d
                }
                None => slot.insert(ReedSolomonDecoder::new(k, k, size).map_err(layout)?),
            };
            for (i, shard) in shards.iter().enumerate().filter(|(i, _)| present[*i]) {
                if i < k {
                    decoder.add_original_shard(i, &**shard).map_err(layout)?;
                } else {
                    decoder
                        .add_recovery_shard(i - k, &**shard)
                        .map_err(layout)?;
                }
            }
            let result = decoder.decode().map_err(layout)?;
            for (i, restored) in result.restored_original_iter() {
                shards[i].copy_from_slice(restored);
            }
            Ok(())
        })
    }

    fn reconstruct(&self, shards: &mut [&mut [u8]], present: &[bool]) -> Result<(), CodecError> {
        self.reconstruct_originals(shards, present)?;
        let k = shards.len() / 2;
        let size = shards[0].len();
        if present[k..].iter().any(|p| !p) {
            let (orig, rec) = shards.split_at_mut(k);
            let orig: Vec<&[u8]> = orig.iter().map(|s| &**s).collect();
            let mut fresh: Vec<Vec<u8>> = vec![vec![0u8; size]; k];
            let mut fresh_refs: Vec<&mut [u8]> = fresh.iter_mut().map(Vec::as_mut_slice).collect();
            self.encode(&orig, &mut fresh_refs)?;
            for (j, out) in rec.iter_mut().enumerate() {
                if !present[k + j] {
                    out.copy_from_slice(&fresh[j]);
                }
            }
        }
        Ok(())
    }
}
