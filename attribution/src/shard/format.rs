//! The byte layout of a shard file: its header, where each section starts, and the size of
//! every table entry, shared by the writer and the reader so that both agree by construction.

/// The first eight bytes of every shard file.
pub(crate) const MAGIC: [u8; 8] = *b"DNATTRIB";
/// The format version this crate writes and reads.
pub(crate) const FORMAT_VERSION: u32 = 1;
/// Bytes in the header.
pub(crate) const HEADER_LEN: usize = 64;
/// Bytes in one suffix array entry.
pub(crate) const SA_ENTRY_LEN: usize = 4;
/// Bytes in one record table entry: text start, text length, record index, contribution index.
pub(crate) const RECORD_ENTRY_LEN: usize = 16;
/// Bytes in one contribution table entry: contribution id, contributor id.
pub(crate) const CONTRIBUTION_ENTRY_LEN: usize = 64;
/// Bytes in the trailing BLAKE3 hash.
pub(crate) const HASH_LEN: usize = 32;
/// The byte that ends every record in the text; it never occurs in UTF-8, so no match of a
/// UTF-8 output crosses it.
pub(crate) const SEPARATOR: u8 = 0xFF;
/// The most text bytes a shard may hold: its suffix array entries are 32-bit, and the suffix
/// array library addresses at most `i32::MAX` positions.
pub const MAX_SHARD_TEXT: u64 = i32::MAX as u64;

/// The counts a header states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// The epoch batch the shard indexes, as its builder named it.
    pub(crate) batch: u64,
    /// Bytes of text, separators included.
    pub(crate) text_len: u64,
    /// Entries in the record table.
    pub(crate) record_count: u64,
    /// Entries in the contribution table.
    pub(crate) contribution_count: u64,
}

/// Where each section of a shard file starts, computed from its header's counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) text: usize,
    pub(crate) padding: usize,
    pub(crate) suffix_array: usize,
    pub(crate) records: usize,
    pub(crate) contributions: usize,
    pub(crate) hash: usize,
    pub(crate) file_len: usize,
}

impl Header {
    /// The header's bytes.
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..8].copy_from_slice(&MAGIC);
        out[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        out[16..24].copy_from_slice(&self.batch.to_le_bytes());
        out[24..32].copy_from_slice(&self.text_len.to_le_bytes());
        out[32..40].copy_from_slice(&self.record_count.to_le_bytes());
        out[40..48].copy_from_slice(&self.contribution_count.to_le_bytes());
        out
    }

    /// Reads a header, or says what is wrong with it.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Header, String> {
        let bytes = bytes
            .get(..HEADER_LEN)
            .ok_or_else(|| format!("file shorter than the {HEADER_LEN}-byte header"))?;
        if bytes[0..8] != MAGIC {
            return Err("not a shard file (bad magic)".into());
        }
        let version = u32::from_le_bytes(le(&bytes[8..12]));
        if version != FORMAT_VERSION {
            return Err(format!(
                "format version {version}, this build reads {FORMAT_VERSION}"
            ));
        }
        if bytes[12..16].iter().chain(&bytes[48..64]).any(|&b| b != 0) {
            return Err("reserved header bytes are not zero".into());
        }
        Ok(Header {
            batch: u64::from_le_bytes(le(&bytes[16..24])),
            text_len: u64::from_le_bytes(le(&bytes[24..32])),
            record_count: u64::from_le_bytes(le(&bytes[32..40])),
            contribution_count: u64::from_le_bytes(le(&bytes[40..48])),
        })
    }

    /// The layout these counts give, or why they cannot be a shard's.
    pub(crate) fn layout(&self) -> Result<Layout, String> {
        if self.text_len > MAX_SHARD_TEXT {
            return Err(format!("text of {} bytes is over the limit", self.text_len));
        }
        let overflow = || "section sizes overflow".to_string();
        let text_len = usize::try_from(self.text_len).map_err(|_| overflow())?;
        let records = usize::try_from(self.record_count).map_err(|_| overflow())?;
        let contributions = usize::try_from(self.contribution_count).map_err(|_| overflow())?;
        let padding = (8 - text_len % 8) % 8;
        let suffix_array = HEADER_LEN
            .checked_add(text_len)
            .and_then(|n| n.checked_add(padding))
            .ok_or_else(overflow)?;
        let records_at = text_len
            .checked_mul(SA_ENTRY_LEN)
            .and_then(|n| n.checked_add(suffix_array))
            .ok_or_else(overflow)?;
        let contributions_at = records
            .checked_mul(RECORD_ENTRY_LEN)
            .and_then(|n| n.checked_add(records_at))
            .ok_or_else(overflow)?;
        let hash = contributions
            .checked_mul(CONTRIBUTION_ENTRY_LEN)
            .and_then(|n| n.checked_add(contributions_at))
            .ok_or_else(overflow)?;
        let file_len = hash.checked_add(HASH_LEN).ok_or_else(overflow)?;
        Ok(Layout {
            text: HEADER_LEN,
            padding,
            suffix_array,
            records: records_at,
            contributions: contributions_at,
            hash,
            file_len,
        })
    }
}

/// One record table entry: the record's text is `text[start..start + len]`, followed by the
/// separator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecordEntry {
    pub(crate) start: u32,
    pub(crate) len: u32,
    pub(crate) record: u32,
    pub(crate) contribution: u32,
}

impl RecordEntry {
    /// The entry's bytes.
    pub(crate) fn encode(&self) -> [u8; RECORD_ENTRY_LEN] {
        let mut out = [0u8; RECORD_ENTRY_LEN];
        out[0..4].copy_from_slice(&self.start.to_le_bytes());
        out[4..8].copy_from_slice(&self.len.to_le_bytes());
        out[8..12].copy_from_slice(&self.record.to_le_bytes());
        out[12..16].copy_from_slice(&self.contribution.to_le_bytes());
        out
    }

    /// Reads an entry from exactly [`RECORD_ENTRY_LEN`] bytes.
    pub(crate) fn decode(bytes: &[u8]) -> RecordEntry {
        let field = |i: usize| u32::from_le_bytes(le(&bytes[i..i + 4]));
        RecordEntry {
            start: field(0),
            len: field(4),
            record: field(8),
            contribution: field(12),
        }
    }
}

/// A fixed-size array from a slice of exactly its length; callers slice with constants.
pub(crate) fn le<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_rejects_bad_magic_and_version() {
        let header = Header {
            batch: 7,
            text_len: 100,
            record_count: 3,
            contribution_count: 2,
        };
        let bytes = header.encode();
        assert_eq!(Header::decode(&bytes), Ok(header));
        let mut bad = bytes;
        bad[0] ^= 1;
        assert!(Header::decode(&bad).is_err());
        let mut bad = bytes;
        bad[8] = 2;
        assert!(Header::decode(&bad).is_err());
        assert!(Header::decode(&bytes[..10]).is_err());
    }

    #[test]
    fn layout_pads_the_text_to_eight_bytes_and_refuses_huge_counts() {
        let header = Header {
            batch: 0,
            text_len: 5,
            record_count: 1,
            contribution_count: 1,
        };
        let layout = header.layout().unwrap();
        assert_eq!(layout.suffix_array, HEADER_LEN + 8);
        assert_eq!(layout.file_len, HEADER_LEN + 8 + 20 + 16 + 64 + 32);
        let huge = Header {
            record_count: u64::MAX / 2,
            ..header
        };
        assert!(huge.layout().is_err());
        let too_much_text = Header {
            text_len: MAX_SHARD_TEXT + 1,
            ..header
        };
        assert!(too_much_text.layout().is_err());
    }
}
