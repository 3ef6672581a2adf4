//! `datanet-policy`: whether a contribution follows its datanet's [`Policy`].
//!
//! The checks are pure and deterministic: the same policy and contribution give the same
//! answer on every node, so an ingesting node can refuse a contribution before storing it and
//! a validator can reject it with the same reason. Today they cover what a contribution's
//! manifest states: its media type and its size ([`check_admission`]; [`size_limit`] lets an
//! upload be refused from its declared length, before its bytes are read). The checks of a
//! contribution's content that validators run before attesting (records against the
//! datanet's schema, CSV structure, duplicates of earlier contributions) belong here too.
//!
//! ```
//! use datanet_policy::{check_admission, Violation};
//! use datanet_protocol::signed::Policy;
//!
//! let policy = Policy {
//!     media_types: vec!["text/csv".into()],
//!     ..Policy::default()
//! };
//! assert_eq!(check_admission(&policy, "text/csv", 1_000), Ok(()));
//! assert!(matches!(
//!     check_admission(&policy, "image/png", 1_000),
//!     Err(Violation::MediaType { .. })
//! ));
//! ```

use datanet_protocol::signed::{Policy, MAX_CONTRIBUTION_BYTES};

/// A rule of a datanet's policy that a contribution breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// The media type is not one the datanet accepts.
    #[error(
        "media type {got} is not accepted: this datanet accepts {}",
        .accepted.join(", ")
    )]
    MediaType {
        /// The media types the datanet accepts.
        accepted: Vec<String>,
        /// The contribution's media type.
        got: String,
    },
    /// The payload is larger than the datanet, or one manifest, allows.
    #[error(
        "the payload is {}, over the limit of {} for contributions to this datanet",
        bytes(*.len),
        bytes(*.limit)
    )]
    TooLarge {
        /// The payload's length in bytes.
        len: u64,
        /// The largest accepted length in bytes, [`size_limit`].
        limit: u64,
    },
    /// The payload has no bytes.
    #[error("the payload is empty: a contribution needs at least one byte")]
    Empty,
}

/// The largest payload, in bytes, a contribution to a datanet with `policy` may have: the
/// policy's `max_contribution_bytes`, or less when one manifest cannot describe that much
/// ([`MAX_CONTRIBUTION_BYTES`]).
pub fn size_limit(policy: &Policy) -> u64 {
    policy.max_contribution_bytes.min(MAX_CONTRIBUTION_BYTES)
}

/// Checks that `media_type` is one `policy` accepts: any when its list is empty, else one of
/// the list exactly (byte for byte, parameters included).
///
/// # Errors
/// [`Violation::MediaType`].
pub fn check_media_type(policy: &Policy, media_type: &str) -> Result<(), Violation> {
    if policy.media_types.is_empty() || policy.media_types.iter().any(|m| m == media_type) {
        return Ok(());
    }
    Err(Violation::MediaType {
        accepted: policy.media_types.clone(),
        got: media_type.to_owned(),
    })
}

/// Checks that a payload of `len` bytes is neither empty nor over [`size_limit`].
///
/// # Errors
/// [`Violation::Empty`] or [`Violation::TooLarge`].
pub fn check_size(policy: &Policy, len: u64) -> Result<(), Violation> {
    let limit = size_limit(policy);
    if len == 0 {
        return Err(Violation::Empty);
    }
    if len > limit {
        return Err(Violation::TooLarge { len, limit });
    }
    Ok(())
}

/// Checks a contribution of `len` bytes of `media_type` against `policy`: the media type
/// first, then the size.
///
/// # Errors
/// The first [`Violation`] found.
pub fn check_admission(policy: &Policy, media_type: &str, len: u64) -> Result<(), Violation> {
    check_media_type(policy, media_type)?;
    check_size(policy, len)
}

/// `n` bytes for a reader: the exact count, and from 1 KiB on the size in the largest binary
/// unit it reaches, to one decimal.
fn bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    let Some((unit, size)) = UNITS.into_iter().find(|(_, size)| n >= *size) else {
        return format!("{n} bytes");
    };
    let tenths = (u128::from(n) * 10 + u128::from(size) / 2) / u128::from(size);
    let (whole, tenth) = (tenths / 10, tenths % 10);
    if tenth == 0 {
        format!("{n} bytes ({whole} {unit})")
    } else {
        format!("{n} bytes ({whole}.{tenth} {unit})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(media_types: &[&str], max_contribution_bytes: u64) -> Policy {
        Policy {
            media_types: media_types.iter().map(|m| (*m).to_owned()).collect(),
            max_contribution_bytes,
            ..Policy::default()
        }
    }

    #[test]
    fn a_media_type_outside_the_list_is_refused_and_an_empty_list_accepts_any() {
        let csv_or_json = accepting(&["text/csv", "application/json"], 1 << 20);
        assert_eq!(check_media_type(&csv_or_json, "text/csv"), Ok(()));
        assert_eq!(check_media_type(&csv_or_json, "application/json"), Ok(()));
        assert_eq!(
            check_media_type(&csv_or_json, "image/png"),
            Err(Violation::MediaType {
                accepted: vec!["text/csv".into(), "application/json".into()],
                got: "image/png".into(),
            })
        );
        let any = accepting(&[], 1 << 20);
        for media_type in ["image/png", "application/octet-stream", ""] {
            assert_eq!(check_media_type(&any, media_type), Ok(()));
        }
    }

    #[test]
    fn a_media_type_must_match_exactly() {
        let csv = accepting(&["text/csv"], 1 << 20);
        for near in [
            "TEXT/CSV",
            "text/csv; charset=utf-8",
            " text/csv",
            "text/cs",
        ] {
            assert!(
                matches!(
                    check_media_type(&csv, near),
                    Err(Violation::MediaType { .. })
                ),
                "{near:?}"
            );
        }
    }

    #[test]
    fn the_size_limit_is_the_datanets_unless_one_manifest_holds_less() {
        assert_eq!(size_limit(&accepting(&[], 1000)), 1000);
        assert_eq!(
            size_limit(&accepting(&[], MAX_CONTRIBUTION_BYTES)),
            MAX_CONTRIBUTION_BYTES
        );
        assert_eq!(
            size_limit(&accepting(&[], u64::MAX)),
            MAX_CONTRIBUTION_BYTES
        );
        assert_eq!(MAX_CONTRIBUTION_BYTES, 4 << 30);
    }

    #[test]
    fn a_payload_of_exactly_the_limit_passes_and_one_byte_more_is_refused() {
        for (max, limit) in [
            (1000, 1000),
            (MAX_CONTRIBUTION_BYTES, MAX_CONTRIBUTION_BYTES),
            (u64::MAX, MAX_CONTRIBUTION_BYTES),
        ] {
            let policy = accepting(&[], max);
            assert_eq!(check_size(&policy, 1), Ok(()));
            assert_eq!(check_size(&policy, limit), Ok(()));
            assert_eq!(
                check_size(&policy, limit + 1),
                Err(Violation::TooLarge {
                    len: limit + 1,
                    limit
                })
            );
        }
    }

    #[test]
    fn an_empty_payload_is_refused_even_when_the_limit_is_zero() {
        for max in [0, 1000, u64::MAX] {
            assert_eq!(check_size(&accepting(&[], max), 0), Err(Violation::Empty));
        }
        assert!(matches!(
            check_size(&accepting(&[], 0), 1),
            Err(Violation::TooLarge { len: 1, limit: 0 })
        ));
    }

    #[test]
    fn admission_reports_the_media_type_before_the_size() {
        let csv = accepting(&["text/csv"], 1000);
        assert_eq!(check_admission(&csv, "text/csv", 1000), Ok(()));
        assert!(matches!(
            check_admission(&csv, "image/png", 0),
            Err(Violation::MediaType { .. })
        ));
        assert!(matches!(
            check_admission(&csv, "image/png", 1001),
            Err(Violation::MediaType { .. })
        ));
        assert_eq!(check_admission(&csv, "text/csv", 0), Err(Violation::Empty));
        assert!(matches!(
            check_admission(&csv, "text/csv", 1001),
            Err(Violation::TooLarge { .. })
        ));
    }

    #[test]
    fn a_violation_tells_what_was_sent_and_what_is_accepted() {
        let csv_or_json = accepting(&["text/csv", "application/json"], 1 << 30);
        let media = check_admission(&csv_or_json, "image/png", 1)
            .unwrap_err()
            .to_string();
        assert_eq!(
            media,
            "media type image/png is not accepted: this datanet accepts text/csv, application/json"
        );
        let large = check_size(&csv_or_json, (3 << 30) / 2)
            .unwrap_err()
            .to_string();
        assert_eq!(
            large,
            "the payload is 1610612736 bytes (1.5 GiB), over the limit of 1073741824 bytes \
             (1 GiB) for contributions to this datanet"
        );
        assert_eq!(
            Violation::Empty.to_string(),
            "the payload is empty: a contribution needs at least one byte"
        );
    }

    #[test]
    fn sizes_read_in_the_largest_binary_unit_they_reach() {
        assert_eq!(bytes(0), "0 bytes");
        assert_eq!(bytes(1023), "1023 bytes");
        assert_eq!(bytes(1024), "1024 bytes (1 KiB)");
        assert_eq!(bytes(1536), "1536 bytes (1.5 KiB)");
        assert_eq!(bytes(8 << 20), "8388608 bytes (8 MiB)");
        assert_eq!(bytes((4 << 30) + 1), "4294967297 bytes (4 GiB)");
        assert_eq!(bytes(u64::MAX), "18446744073709551615 bytes (16777216 TiB)");
    }
}
