//! Content addresses and identifiers, each a distinct type over a 32-byte [`Hash`].

use std::fmt;
use std::str::FromStr;

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::hash::{hash, Domain, Hash, ParseHashError};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub Hash);

        impl $name {
            /// The underlying hash.
            pub fn hash(&self) -> &Hash {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($label, "({})"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = ParseHashError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }

        impl From<Hash> for $name {
            fn from(h: Hash) -> Self {
                $name(h)
            }
        }

        impl Encode for $name {
            fn encode_to(&self, out: &mut Writer) {
                out.hash(&self.0);
            }
        }

        impl Decode for $name {
            fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                r.hash($label).map($name)
            }
        }
    };
}

id_type!(
    /// A chunk's content address: the BLAKE3 hash of its bytes in the chunk domain.
    ChunkId,
    "ChunkId"
);
id_type!(
    /// The data-availability root of one chunk's extended square.
    DaRoot,
    "DaRoot"
);
id_type!(
    /// A contribution's id: the hash of its signed manifest's encoding.
    ContributionId,
    "ContributionId"
);
id_type!(
    /// A datanet's id: the hash of its founding record.
    DatanetId,
    "DatanetId"
);
id_type!(
    /// A model's id: the hash of its signed model record.
    ModelId,
    "ModelId"
);

impl ChunkId {
    /// The id of a chunk with these bytes.
    pub fn of(chunk: &[u8]) -> Self {
        ChunkId(hash(Domain::Chunk, chunk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_id_is_content_address() {
        assert_eq!(ChunkId::of(b"abc"), ChunkId::of(b"abc"));
        assert_ne!(ChunkId::of(b"abc"), ChunkId::of(b"abd"));
    }

    #[test]
    fn ids_parse_their_display() {
        let id = ChunkId::of(b"x");
        assert_eq!(id.to_string().parse::<ChunkId>(), Ok(id));
        assert_eq!(format!("{id:?}"), format!("ChunkId({id})"));
    }
}
