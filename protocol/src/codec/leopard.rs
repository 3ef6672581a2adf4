//! The default codec: `reed-solomon-simd`, an FFT-based Reed-Solomon code over GF(2^16).
//!
//! An encoder or decoder holds work buffers of about twice the data it codes (16 MiB for a
//! square's 128 columns of 64 KiB), so they are kept for reuse, but in one small pool per
//! process rather than one per thread: a node codes on tokio's blocking pool, whose threads come
//! and go, and per-thread copies grew with the number of threads that ever coded (369 MB held
//! by 22 decoders in a validator rebuilding 512 MiB from columns, measured with heaptrack).

use std::sync::{Mutex, PoisonError};

use reed_solomon_simd::{ReedSolomonDecoder, ReedSolomonEncoder};

use super::{check_encode, check_reconstruct, CodecError, CodecId, ErasureCode};

/// The `rs-leopard` codec.
pub(super) struct Leopard;

/// Encoders kept for reuse, at most [`pooled`] of them.
static ENCODERS: Mutex<Vec<ReedSolomonEncoder>> = Mutex::new(Vec::new());
/// Decoders kept for reuse, at most [`pooled`] of them.
static DECODERS: Mutex<Vec<ReedSolomonDecoder>> = Mutex::new(Vec::new());

/// How many encoders (and decoders) are kept: one per core, as coding is CPU-bound, so more
/// at once would not code faster.
fn pooled() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// One coder from `pool`, if any is kept.
fn take<T>(pool: &Mutex<Vec<T>>) -> Option<T> {
    pool.lock().unwrap_or_else(PoisonError::into_inner).pop()
}

/// Keeps `coder` in `pool` unless the pool is full (then it is dropped with its buffers).
fn give<T>(pool: &Mutex<Vec<T>>, coder: T) {
    let mut kept = pool.lock().unwrap_or_else(PoisonError::into_inner);
    if kept.len() < pooled() {
        kept.push(coder);
    }
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
        let mut encoder = match take(&ENCODERS) {
            Some(mut e) => {
                e.reset(k, k, size).map_err(layout)?;
                e
            }
            None => ReedSolomonEncoder::new(k, k, size).map_err(layout)?,
        };
        for shard in original {
            encoder.add_original_shard(shard).map_err(layout)?;
        }
        let result = encoder.encode().map_err(layout)?;
        for (out, computed) in recovery.iter_mut().zip(result.recovery_iter()) {
            out.copy_from_slice(computed);
        }
        drop(result);
        give(&ENCODERS, encoder);
        Ok(())
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
        let mut decoder = match take(&DECODERS) {
            Some(mut d) => {
                d.reset(k, k, size).map_err(layout)?;
                d
            }
            None => ReedSolomonDecoder::new(k, k, size).map_err(layout)?,
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
        drop(result);
        give(&DECODERS, decoder);
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `k` original shards of `size` bytes, their `k` recovery shards after them.
    fn encoded(k: usize, size: usize, seed: u8) -> Vec<Vec<u8>> {
        let original: Vec<Vec<u8>> = (0..k)
            .map(|i| (0..size).map(|j| (i * 31 + j * 7) as u8 ^ seed).collect())
            .collect();
        let mut recovery = vec![vec![0u8; size]; k];
        let refs: Vec<&[u8]> = original.iter().map(Vec::as_slice).collect();
        let mut out: Vec<&mut [u8]> = recovery.iter_mut().map(Vec::as_mut_slice).collect();
        Leopard.encode(&refs, &mut out).unwrap();
        original.into_iter().chain(recovery).collect()
    }

    #[test]
    fn coders_used_on_many_threads_are_kept_at_most_one_per_core() {
        let threads: Vec<_> = (0..4 * pooled() as u8 + 4)
            .map(|seed| {
                std::thread::spawn(move || {
                    let (k, size) = (8, 64);
                    let full = encoded(k, size, seed);
                    let mut shards = full.clone();
                    let mut present = vec![true; 2 * k];
                    for i in [0, 3, 5] {
                        shards[i].fill(0);
                        present[i] = false;
                    }
                    let mut refs: Vec<&mut [u8]> =
                        shards.iter_mut().map(Vec::as_mut_slice).collect();
                    Leopard.reconstruct_originals(&mut refs, &present).unwrap();
                    assert_eq!(shards[..k], full[..k]);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(ENCODERS.lock().unwrap().len() <= pooled());
        assert!(DECODERS.lock().unwrap().len() <= pooled());
        assert!(
            !DECODERS.lock().unwrap().is_empty(),
            "a decoder is kept for reuse"
        );
    }
}
