//! `datanet-storage`: a node's durable state.
//!
//! Metadata (datanets, manifests, square headers, custodied columns, attestations, quorum
//! certificates, epoch batches, anchors, the peer book, the repair list, the per-datanet
//! record index) lives in one ordered key-value space with atomic batches; whole chunks live
//! in a content-addressed file store.
//! Everything goes through one typed handle, [`Store`]; [`AsyncStore`] runs it off the async
//! runtime. Every read of chunk or column bytes is checked against its content address or DA
//! root, and a mismatch is reported as [`StoreError::Corrupted`] and listed for repair, never
//! returned.
//!
//! ```
//! use datanet_storage::Store;
//!
//! let store = Store::memory();
//! let id = store.put_chunk(b"some chunk").unwrap();
//! assert_eq!(store.chunk(&id).unwrap().as_deref(), Some(&b"some chunk"[..]));
//! ```

pub mod backend;
mod error;
mod keys;
mod store;

pub use error::StoreError;
pub use store::anchors::{Anchor, AnchorState};
pub use store::attestations::{AttestationOutcome, Equivocation};
pub use store::format::{Migration, FORMAT_VERSION};
pub use store::gc::{GcPolicy, GcReport};
pub use store::handle::AsyncStore;
pub use store::peers::PeerRecord;
pub use store::records::{SeenIndex, MAX_RECORDS_PER_ADD};
pub use store::repair::RepairItem;
pub use store::Store;
