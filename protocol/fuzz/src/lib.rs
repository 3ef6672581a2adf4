//! The one property every fuzz target checks: decoding is total and canonical.

use datanet_protocol::encoding::{Decode, Encode};

/// Decodes `data` as `T`; a value that decodes must re-encode to exactly `data`.
pub fn decode_is_canonical<T: Decode + Encode>(data: &[u8]) {
    if let Ok(value) = T::from_bytes(data) {
        assert_eq!(value.to_bytes(), data, "decoded value re-encodes differently");
    }
}
