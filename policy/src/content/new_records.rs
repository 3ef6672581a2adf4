//! The hashes of a payload's new records, as the checker hands them over: in memory for a
//! payload whose hashes fit in one sorted run, in an anonymous temporary file for one whose
//! hashes were spilled ([`super::spill`]), so a large contribution's hashes never sit in
//! memory whole between its verdict and their addition to the record index.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek};

use datanet_protocol::hash::{Hash, HASH_LEN};

/// The distinct hashes of an accepted payload's records that the datanet did not hold,
/// ascending: what to add to the datanet's record index once the contribution is accepted.
#[derive(Debug)]
pub struct NewRecords(Held);

#[derive(Debug)]
enum Held {
    Memory(Vec<Hash>),
    File { file: File, len: u64 },
}

impl NewRecords {
    /// Hashes held in memory. Any order: the record index sorts what it is given in memory.
    pub fn in_memory(hashes: Vec<Hash>) -> Self {
        NewRecords(Held::Memory(hashes))
    }

    /// `len` hashes written one after another (32 bytes each) from the start of `file`,
    /// ascending and distinct: what a check that spilled makes. A reader of them, such as
    /// the record index, checks the order as it goes.
    pub fn in_file(file: File, len: u64) -> Self {
        NewRecords(Held::File { file, len })
    }

    /// How many hashes there are.
    pub fn len(&self) -> u64 {
        match &self.0 {
            Held::Memory(hashes) => hashes.len() as u64,
            Held::File { len, .. } => *len,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the hashes are in a file rather than in memory.
    pub fn is_spilled(&self) -> bool {
        matches!(self.0, Held::File { .. })
    }

    /// The hashes in memory, if they are held there.
    pub fn as_slice(&self) -> Option<&[Hash]> {
        match &self.0 {
            Held::Memory(hashes) => Some(hashes),
            Held::File { .. } => None,
        }
    }

    /// The hashes one by one, read from their file as they are reached.
    ///
    /// # Errors
    /// An I/O error rewinding the file; each hash read may fail too.
    pub fn into_hashes(self) -> io::Result<Hashes> {
        Ok(Hashes(match self.0 {
            Held::Memory(hashes) => Reading::Memory(hashes.into_iter()),
            Held::File { mut file, len } => {
                file.rewind()?;
                Reading::File {
                    reader: BufReader::with_capacity(READ_BUFFER, file),
                    left: len,
                }
            }
        }))
    }

    /// All the hashes in memory.
    ///
    /// # Errors
    /// An I/O error reading them back from their file.
    pub fn into_vec(self) -> io::Result<Vec<Hash>> {
        match self.0 {
            Held::Memory(hashes) => Ok(hashes),
            held => NewRecords(held).into_hashes()?.collect(),
        }
    }
}

/// Bytes read from a file of hashes at a time.
pub(crate) const READ_BUFFER: usize = 64 << 10;

/// The hashes of a [`NewRecords`], in its order; after a read error, nothing more.
#[derive(Debug)]
pub struct Hashes(Reading);

#[derive(Debug)]
enum Reading {
    Memory(std::vec::IntoIter<Hash>),
    File { reader: BufReader<File>, left: u64 },
}

impl Iterator for Hashes {
    type Item = io::Result<Hash>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Reading::Memory(hashes) => hashes.next().map(Ok),
            Reading::File { reader, left } => {
                if *left == 0 {
                    return None;
                }
                let read = read_hash(reader);
                *left = if read.is_ok() { *left - 1 } else { 0 };
                Some(read)
            }
        }
    }
}

/// The next hash of `reader`.
pub(crate) fn read_hash(reader: &mut impl Read) -> io::Result<Hash> {
    let mut bytes = [0; HASH_LEN];
    reader.read_exact(&mut bytes)?;
    Ok(Hash(bytes))
}
