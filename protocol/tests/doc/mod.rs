//! The vectors of docs/protocol.md as the tests see them: a vector a test checks must also be
//! written, byte for byte, in the document, so the two cannot drift apart.

/// The protocol document.
const DOC: &str = include_str!("../../../docs/protocol.md");

/// `text` without whitespace.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect()
}

/// Panics unless `text` appears in the document; whitespace (line breaks in long hex, the
/// spaces between fields) is ignored on both sides.
pub(crate) fn assert_documented(text: &str) {
    assert!(
        squeeze(DOC).contains(&squeeze(text)),
        "docs/protocol.md does not contain {text}"
    );
}

/// The bytes of hex `text`, whitespace ignored.
pub(crate) fn hex(text: &str) -> Vec<u8> {
    hex::decode(squeeze(text)).unwrap_or_else(|e| panic!("bad hex {text}: {e}"))
}
