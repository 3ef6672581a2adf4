//! `datanet-policy`: whether a contribution follows its datanet's [`Policy`].
//!
//! The checks are pure and deterministic: the same policy, payload and set of records already
//! accepted give the same verdict and the same message on every node, so an ingesting node
//! can refuse a contribution before storing it and a validator can reject it with the same
//! reason. Two kinds of check:
//!
//! - admission, from what the manifest states: its media type and size ([`check_admission`];
//!   [`size_limit`] lets an upload be refused from its declared length, before its bytes are
//!   read);
//! - content, from the payload's bytes as they stream in ([`Rules`], [`ContentCheck`]): the
//!   records of a JSON Lines or CSV payload against the datanet's schema or columns, their
//!   count and size, and how many repeat records the datanet already holds ([`SeenRecords`]).
//!
//! ```
//! use std::collections::BTreeSet;
//!
//! use datanet_policy::{check_admission, Rules, Violation};
//! use datanet_protocol::signed::{Policy, RecordFormat, RecordRules};
//!
//! let policy = Policy {
//!     media_types: vec!["application/jsonl".into()],
//!     records: Some(RecordRules::new(RecordFormat::JsonLines {
//!         schema: r#"{"required": ["text"]}"#.into(),
//!     })),
//!     ..Policy::default()
//! };
//! assert_eq!(check_admission(&policy, "application/jsonl", 1_000), Ok(()));
//!
//! let rules = Rules::new(&policy).unwrap();
//! let seen = BTreeSet::new();
//! let mut check = rules.check(&seen);
//! check.feed(b"{\"text\": \"a\"}\n{\"te");
//! check.feed(b"xt\": \"b\"}\n");
//! assert_eq!(check.finish().unwrap().unwrap().new_records.len(), 2);
//!
//! let mut check = rules.check(&seen);
//! check.feed(b"{\"text\": \"a\"}\n[1]\n");
//! assert!(matches!(check.finish().unwrap(), Err(Violation::Records { failing: 1, .. })));
//! ```

mod admission;
mod content;
mod violation;

pub use admission::{check_admission, check_media_type, check_size, size_limit};
pub use content::{
    record_hash, Accepted, ContentCheck, Hashes, NewRecords, Rules, SchemaError, SeenRecords,
};
pub use violation::{RecordFailure, Violation, QUOTED_FAILURES};

/// Re-exported so that callers name the policy this crate checks without another import.
pub use datanet_protocol::signed::Policy;
