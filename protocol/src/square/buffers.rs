//! Recycled buffers for the largest squares and top halves.
//!
//! A full square at `k = 128` is 32 MiB, just over glibc's largest mmap threshold, so each one
//! is mapped fresh and every one of its 8 192 pages faults on first touch, then is unmapped when
//! the square is dropped; a 16 MiB top half, freed on another thread than the one that made
//! it, is often trimmed back to the system the same way. Nodes build and drop these back to
//! back (ingest, dispersal, retrieval, repair), so a few freed buffers are kept and handed out
//! again instead.

use std::sync::Mutex;

use super::{MAX_K, SHARE_SIZE};

/// The bytes of a top half at `k = 128`; buffers from this long up to twice it are recycled.
const SMALLEST_RECYCLED: usize = 2 * MAX_K * MAX_K * SHARE_SIZE;
/// Freed buffers kept for reuse (96 MiB at most).
const SPARES: usize = 3;

static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// A zeroed buffer of `len` bytes, recycled when a spare one fits.
pub(super) fn zeroed(len: usize) -> Vec<u8> {
    if is_recycled(len) {
        let spare = SPARE.lock().ok().and_then(|mut spare| {
            let fits = spare
                .iter()
                .position(|b| (len..=2 * len).contains(&b.capacity()))?;
            Some(spare.swap_remove(fits))
        });
        if let Some(mut buffer) = spare {
            buffer.clear();
            buffer.resize(len, 0);
            return buffer;
        }
    }
    vec![0u8; len]
}

/// Takes back a buffer that is no longer used, if it is of a recycled size and there is
/// room; otherwise frees it.
pub(super) fn recycle(buffer: Vec<u8>) {
    if is_recycled(buffer.capacity()) {
        if let Ok(mut spare) = SPARE.lock() {
            if spare.len() < SPARES {
                spare.push(buffer);
            }
        }
    }
}

fn is_recycled(len: usize) -> bool {
    (SMALLEST_RECYCLED..=2 * SMALLEST_RECYCLED).contains(&len)
}
