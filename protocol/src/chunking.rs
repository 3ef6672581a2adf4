//! Cutting a contribution's payload into chunks of at most [`MAX_CHUNK_LEN`] bytes.

use crate::square::{MAX_K, SHARE_SIZE};

/// The largest chunk: exactly fills the largest square (k = 128, 512-byte shares), 8 MiB.
pub const MAX_CHUNK_LEN: usize = MAX_K * MAX_K * SHARE_SIZE;

/// The chunks of `payload`, in order: every chunk but the last is [`MAX_CHUNK_LEN`] bytes, and an
/// empty payload has no chunks.
pub fn chunks(payload: &[u8]) -> impl ExactSizeIterator<Item = &[u8]> {
    payload.chunks(MAX_CHUNK_LEN)
}

/// How many chunks a payload of `len` bytes has.
pub fn chunk_count(len: u64) -> u64 {
    len.div_ceil(MAX_CHUNK_LEN as u64)
}

/// The length of chunk `index` of a payload of `payload_len` bytes, or `None` past the end.
pub fn chunk_len(payload_len: u64, index: u64) -> Option<u64> {
    let start = index.checked_mul(MAX_CHUNK_LEN as u64)?;
    (start < payload_len).then(|| (payload_len - start).min(MAX_CHUNK_LEN as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_mib_plus_one_is_two_chunks() {
        let payload = vec![7u8; MAX_CHUNK_LEN + 1];
        let lens: Vec<usize> = chunks(&payload).map(<[u8]>::len).collect();
        assert_eq!(lens, vec![MAX_CHUNK_LEN, 1]);
        assert_eq!(chunk_count(payload.len() as u64), 2);
        assert_eq!(chunk_len(payload.len() as u64, 1), Some(1));
        assert_eq!(chunk_len(payload.len() as u64, 2), None);
    }

    #[test]
    fn empty_payload_has_no_chunks() {
        assert_eq!(chunks(&[]).count(), 0);
        assert_eq!(chunk_count(0), 0);
        assert_eq!(chunk_len(0, 0), None);
    }
}
