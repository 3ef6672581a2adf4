//! Admission: what a contribution's manifest states (media type and size) checked before
//! its bytes are read, so an upload can be refused from its declared length.

use datanet_protocol::signed::{Policy, MAX_CONTRIBUTION_BYTES};

use crate::Violation;

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
}
