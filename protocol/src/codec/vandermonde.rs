//! The second codec: `reed-solomon-erasure`, a Vandermonde-matrix Reed-Solomon code over GF(2^8).

use std::sync::OnceLock;

use reed_solomon_erasure::galois_8::ReedSolomon;

use super::{check_encode, check_reconstruct, CodecError, CodecId, ErasureCode};

/// The `rs-vandermonde` codec.
pub(super) struct Vandermonde;

/// GF(2^8) allows at most 256 shards, so `k` is at most 128.
const MAX_K: usize = 128;

/// One codec per `k`, built once: building one inverts a matrix.
fn code_for(k: usize) -> Result<&'static ReedSolomon, CodecError> {
    static CODES: [OnceLock<Option<ReedSolomon>>; MAX_K + 1] =
        [const { OnceLock::new() }; MAX_K + 1];
    CODES
        .get(k)
        .and_then(|slot| slot.get_or_init(|| ReedSolomon::new(k, k).ok()).as_ref())
        .ok_or_else(|| {
            CodecError::Layout(format!(
                "rs-vandermonde supports 1..={MAX_K} original shards, not {k}"
            ))
        })
}

fn layout(e: reed_solomon_erasure::Error) -> CodecError {
    CodecError::Layout(format!("{e:?}"))
}

impl ErasureCode for Vandermonde {
    fn id(&self) -> CodecId {
        CodecId::RsVandermonde
    }

    fn encode(&self, original: &[&[u8]], recovery: &mut [&mut [u8]]) -> Result<(), CodecError> {
        let (k, _) = check_encode(original, recovery)?;
        code_for(k)?.encode_sep(original, recovery).map_err(layout)
    }

    fn reconstruct(&self, shards: &mut [&mut [u8]], present: &[bool]) -> Result<(), CodecError> {
        let k = check_reconstruct(shards, present)?;
        code_for(k)?
            .reconstruct(&mut flagged(shards, present))
            .map_err(layout)
    }

    fn reconstruct_originals(
        &self,
        shards: &mut [&mut [u8]],
        present: &[bool],
    ) -> Result<(), CodecError> {
        let k = check_reconstruct(shards, present)?;
        code_for(k)?
            .reconstruct_data(&mut flagged(shards, present))
            .map_err(layout)
    }
}

/// The shards paired with their presence flags, as `reed-solomon-erasure` takes them.
fn flagged<'a>(shards: &'a mut [&mut [u8]], present: &[bool]) -> Vec<(&'a mut [u8], bool)> {
    shards
        .iter_mut()
        .zip(present)
        .map(|(s, p)| (&mut **s, *p))
        .collect()
}
