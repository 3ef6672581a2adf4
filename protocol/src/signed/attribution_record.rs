//! Attribution records: a model operator's signed claim that one output of its model quotes
//! the contributors of one datanet with the given weights. The record names the output by
//! hash; it travels with the output itself ([`AttributionSubmission`]) so that every
//! validator of the datanet recomputes the weights from its own index before a batch pays
//! anyone by them. The record's hash is its id.

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};
use crate::hash::{hash, Domain, Hash};
use crate::ids::{DatanetId, ModelId};

use super::{PublicKey, Signable, Signed};

/// The most contributors one record weighs.
pub const MAX_RECORD_WEIGHTS: usize = 1024;
/// The longest output a record is submitted with, in bytes.
pub const MAX_SUBMITTED_OUTPUT: usize = 64 * 1024;
/// The shortest span a record may be computed with: shorter spans match by chance.
pub const MIN_RECORD_SPAN: u32 = 8;

/// What a model's operator signs about one output and one datanet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributionBody {
    /// The model whose output it is.
    pub model: ModelId,
    /// The datanet whose contributors it weighs: one of the model's versions.
    pub datanet: DatanetId,
    /// The model's operator, who signs.
    pub operator: PublicKey,
    /// `H(ModelOutput, output)`.
    pub output_hash: Hash,
    /// The shortest span, in bytes, the weights were computed with.
    pub min_span: u32,
    /// Each contributor's weight, ascending by key, each above zero.
    pub weights: Vec<(PublicKey, u64)>,
}

/// A signed attribution record.
pub type AttributionRecord = Signed<AttributionBody>;

impl AttributionRecord {
    /// The record's id: the hash of the signed record's encoding.
    pub fn id(&self) -> Hash {
        hash(Domain::AttributionRecord, &self.to_bytes())
    }
}

/// The hash a record gives `output`.
pub fn output_hash(output: &[u8]) -> Hash {
    hash(Domain::ModelOutput, output)
}

impl Signable for AttributionBody {
    const DOMAIN: Domain = Domain::AttributionRecord;

    fn signer(&self) -> &PublicKey {
        &self.operator
    }

    fn check(&self) -> Result<(), String> {
        check_body(self.min_span, &self.weights)
    }
}

/// The rules of a record body: a span of at least [`MIN_RECORD_SPAN`], and
/// 1..=[`MAX_RECORD_WEIGHTS`] weights above zero in strictly ascending key order.
fn check_body(min_span: u32, weights: &[(PublicKey, u64)]) -> Result<(), String> {
    if min_span < MIN_RECORD_SPAN {
        return Err(format!(
            "a minimum span of {min_span} bytes; at least {MIN_RECORD_SPAN}"
        ));
    }
    if weights.is_empty() || weights.len() > MAX_RECORD_WEIGHTS {
        return Err(format!(
            "{} weights; a record holds 1..={MAX_RECORD_WEIGHTS}",
            weights.len()
        ));
    }
    if weights.iter().any(|(_, w)| *w == 0) {
        return Err("a weight of zero".into());
    }
    if weights.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err("contributors must be distinct and in ascending key order".into());
    }
    Ok(())
}

impl Encode for AttributionBody {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        self.model.encode_to(out);
        self.datanet.encode_to(out);
        self.operator.encode_to(out);
        out.hash(&self.output_hash);
        out.u32(self.min_span);
        out.u32(self.weights.len() as u32);
        for (key, weight) in &self.weights {
            key.encode_to(out);
            out.u64(*weight);
        }
    }
}

impl Decode for AttributionBody {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("attribution record version")?;
        let model = ModelId::decode_from(r)?;
        let datanet = DatanetId::decode_from(r)?;
        let operator = PublicKey::decode_from(r)?;
        let output_hash = r.hash("output hash")?;
        let min_span = r.u32("minimum span")?;
        let count = r.len(MAX_RECORD_WEIGHTS, "weights")?;
        let mut weights = Vec::with_capacity(count);
        for _ in 0..count {
            weights.push((PublicKey::decode_from(r)?, r.u64("weight")?));
        }
        check_body(min_span, &weights)
            .map_err(|why| DecodeError::invalid("attribution record", why))?;
        Ok(AttributionBody {
            model,
            datanet,
            operator,
            output_hash,
            min_span,
            weights,
        })
    }
}

/// An attribution record with the output it names, as gossiped to a datanet's validators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributionSubmission {
    /// The signed record.
    pub record: AttributionRecord,
    /// The output, UTF-8, at most [`MAX_SUBMITTED_OUTPUT`] bytes, hashing to the record's
    /// `output_hash`.
    pub output: String,
}

impl Encode for AttributionSubmission {
    fn encode_to(&self, out: &mut Writer) {
        self.record.encode_to(out);
        out.str(&self.output);
    }
}

impl Decode for AttributionSubmission {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let record = AttributionRecord::decode_from(r)?;
        let output = r.str(MAX_SUBMITTED_OUTPUT, "submitted output")?;
        if output.is_empty() || output_hash(output.as_bytes()) != record.body().output_hash {
            return Err(DecodeError::invalid(
                "attribution submission",
                "the output is empty or is not the one the record names",
            ));
        }
        Ok(AttributionSubmission { record, output })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signed::SecretKey;

    fn key(seed: u8) -> SecretKey {
        SecretKey::from_seed([seed; 32])
    }

    fn body(weights: Vec<(PublicKey, u64)>) -> AttributionBody {
        AttributionBody {
            model: ModelId(hash(Domain::Model, b"m")),
            datanet: DatanetId(hash(Domain::Datanet, b"d")),
            operator: key(1).public(),
            output_hash: output_hash(b"an output"),
            min_span: 32,
            weights,
        }
    }

    #[test]
    fn a_submission_round_trips_and_refuses_another_output_than_its_record_names() {
        let mut weights = vec![(key(2).public(), 5), (key(3).public(), 7)];
        weights.sort();
        let record = AttributionRecord::sign(body(weights), &key(1)).unwrap();
        let submission = AttributionSubmission {
            record: record.clone(),
            output: "an output".into(),
        };
        let bytes = submission.to_bytes();
        assert_eq!(
            AttributionSubmission::from_bytes(&bytes).unwrap(),
            submission
        );
        assert!(record.verify().is_ok());
        let forged = AttributionSubmission {
            record,
            output: "another output".into(),
        };
        assert!(AttributionSubmission::from_bytes(&forged.to_bytes()).is_err());
    }

    #[test]
    fn records_without_weights_with_a_zero_weight_unordered_or_a_tiny_span_are_refused() {
        let (a, b) = {
            let mut keys = [key(2).public(), key(3).public()];
            keys.sort();
            (keys[0], keys[1])
        };
        for weights in [
            vec![],
            vec![(a, 0)],
            vec![(b, 1), (a, 1)],
            vec![(a, 1), (a, 2)],
        ] {
            assert!(AttributionRecord::sign(body(weights), &key(1)).is_err());
        }
        let mut short = body(vec![(a, 1)]);
        short.min_span = MIN_RECORD_SPAN - 1;
        assert!(AttributionRecord::sign(short, &key(1)).is_err());
        let good = AttributionRecord::sign(body(vec![(a, 1), (b, 2)]), &key(1)).unwrap();
        let mut bytes = good.to_bytes();
        let end = bytes.len() - 64;
        bytes[end - 8..end].fill(0);
        assert!(AttributionRecord::from_bytes(&bytes).is_err());
    }
}
