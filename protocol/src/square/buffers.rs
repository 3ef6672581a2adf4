//! Recycled buffers for the largest squares.
//!
//! A full square at `k = 128` is 32 MiB, just over glibc's largest mmap threshold, so each one
//! is mapped fresh and every one of its 8 192 pages faults on first touch, then is unmapped when
//! the square is dropped. Nodes build and drop such squares back to back (ingest, retrieval,
//! repair), so a few freed buffers are kept and handed out again instead.

use std::sync::Mutex;

/// Buffers at least this long are recycled: the full square at `k = 128`.
const RECYCLED_LEN: usize = 4 * super::MAX_K * super::MAX_K * super::SHARE_SIZE;
/// Freed buffers kept for reuse (64 MiB at most).
const SPARES: usize = 2;

static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// A zeroed buffer of `len` bytes, recycled when one of that size is spare.
pub(super) fn zeroed(len: usize) -> Vec<u8> {
    if len == RECYCLED_LEN {
        let spare = SPARE.lock().ok().and_then(|mut spare| spare.pop());
        if let Some(mut buffer) = spare {
            buffer.clear();
            buffer.resize(len, 0);
            return buffer;
        }
    }
    vec![0u8; len]
}

/// Takes back a buffer that is no longer used, if it is of the recycled size and there is
/// room; otherwise frees it.
pub(super) fn recycle(buffer: Vec<u8>) {
    if buffer.capacity() == RECYCLED_LEN {
        if let Ok(mut spare) = SPARE.lock() {
            if spare.len() < SPARES {
                spare.push(buffer);
            }
        }
    }
}
