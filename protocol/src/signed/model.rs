//! Model records: a trained model's provenance, signed by its operator. The record's hash is
//! the [`ModelId`].
//!
//! A record names the model's base, the datanet versions it was trained on (each an anchored
//! epoch of a datanet, pinned by that epoch's batch root), and optionally an adapter stored
//! as a contribution of its own datanet. Attribution for a model considers only the versions
//! its record names: version `(datanet, epoch)` is every batch of that datanet up to and
//! including `epoch`.

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};
use crate::hash::{hash, Domain, Hash};
use crate::ids::{ContributionId, DatanetId, ModelId};

use super::{PublicKey, Signable, Signed};

/// The longest model or base model name, in bytes.
pub const MAX_MODEL_NAME: usize = 128;
/// The most datanet versions one model record names.
pub const MAX_MODEL_VERSIONS: usize = 64;

/// Option tags.
const ABSENT: u8 = 0;
const PRESENT: u8 = 1;

/// One datanet version a model was trained on: the datanet as of an anchored epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrainedOn {
    /// The datanet.
    pub datanet: DatanetId,
    /// The last epoch of the version: every batch up to and including it.
    pub epoch: u64,
    /// The root of that epoch's batch as anchored, so the version cannot be swapped.
    pub batch_root: Hash,
}

impl Encode for TrainedOn {
    fn encode_to(&self, out: &mut Writer) {
        self.datanet.encode_to(out);
        out.u64(self.epoch);
        out.hash(&self.batch_root);
    }
}

impl Decode for TrainedOn {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(TrainedOn {
            datanet: DatanetId::decode_from(r)?,
            epoch: r.u64("version epoch")?,
            batch_root: r.hash("version batch root")?,
        })
    }
}

/// What a model's operator signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelBody {
    /// A short human name of the model.
    pub name: String,
    /// The model it was trained from (a name such as `llama-3-8b`).
    pub base_model: String,
    /// The hash of the model's weights file, when the operator publishes one.
    pub weights: Option<Hash>,
    /// The datanet versions it was trained on: 1..=[`MAX_MODEL_VERSIONS`], ascending, at
    /// most one per datanet.
    pub versions: Vec<TrainedOn>,
    /// An adapter (a LoRA or other adapter file), stored as a contribution of a datanet of
    /// its own so that it is dispersed, sampled and anchored like any data.
    pub adapter: Option<ContributionId>,
    /// The operator's key, which signs the record and later its attribution records.
    pub operator: PublicKey,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// A number chosen by the operator so identical records get distinct ids.
    pub nonce: u64,
}

/// A signed model record.
pub type ModelRecord = Signed<ModelBody>;

impl ModelRecord {
    /// The model's id: the hash of the signed record's encoding.
    pub fn id(&self) -> ModelId {
        ModelId(hash(Domain::Model, &self.to_bytes()))
    }
}

impl ModelBody {
    /// The version of `datanet` the model was trained on, if it names one.
    pub fn version_of(&self, datanet: &DatanetId) -> Option<&TrainedOn> {
        self.versions.iter().find(|v| v.datanet == *datanet)
    }
}

impl Signable for ModelBody {
    const DOMAIN: Domain = Domain::Model;

    fn signer(&self) -> &PublicKey {
        &self.operator
    }

    fn check(&self) -> Result<(), String> {
        check_name("model name", &self.name)?;
        check_name("base model", &self.base_model)?;
        check_versions(&self.versions)
    }
}

fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_MODEL_NAME {
        return Err(format!("the {what} must be 1..={MAX_MODEL_NAME} bytes"));
    }
    Ok(())
}

/// The versions must be 1..=[`MAX_MODEL_VERSIONS`], in ascending datanet order, one per
/// datanet: one encoding per set, and no datanet named twice with two epochs.
fn check_versions(versions: &[TrainedOn]) -> Result<(), String> {
    if versions.is_empty() || versions.len() > MAX_MODEL_VERSIONS {
        return Err(format!(
            "a model names 1..={MAX_MODEL_VERSIONS} datanet versions"
        ));
    }
    if versions.windows(2).any(|w| w[0].datanet >= w[1].datanet) {
        return Err("the versions must be in ascending datanet order, one per datanet".into());
    }
    Ok(())
}

fn encode_option<T: Encode>(out: &mut Writer, value: &Option<T>) {
    match value {
        None => out.u8(ABSENT),
        Some(v) => {
            out.u8(PRESENT);
            v.encode_to(out);
        }
    }
}

fn decode_option<T: Decode>(
    r: &mut Reader<'_>,
    context: &'static str,
) -> Result<Option<T>, DecodeError> {
    match r.u8(context)? {
        ABSENT => Ok(None),
        PRESENT => T::decode_from(r).map(Some),
        v => Err(DecodeError::InvalidTag {
            context,
            value: v.into(),
        }),
    }
}

impl Encode for ModelBody {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        out.str(&self.name);
        out.str(&self.base_model);
        encode_option(out, &self.weights);
        out.list(&self.versions);
        encode_option(out, &self.adapter);
        self.operator.encode_to(out);
        out.u64(self.created_ms);
        out.u64(self.nonce);
    }
}

impl Decode for ModelBody {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("model record version")?;
        let name = r.str(MAX_MODEL_NAME, "model name")?;
        let base_model = r.str(MAX_MODEL_NAME, "base model")?;
        let weights = decode_option(r, "weights tag")?;
        let versions: Vec<TrainedOn> = r.list(MAX_MODEL_VERSIONS, "model versions")?;
        let body = ModelBody {
            name,
            base_model,
            weights,
            versions,
            adapter: decode_option(r, "adapter tag")?,
            operator: PublicKey::decode_from(r)?,
            created_ms: r.u64("created")?,
            nonce: r.u64("nonce")?,
        };
        body.check()
            .map_err(|reason| DecodeError::invalid("model record", reason))?;
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signed::SecretKey;

    fn body(operator: &SecretKey) -> ModelBody {
        ModelBody {
            name: "helper-7b".into(),
            base_model: "llama-3-8b".into(),
            weights: Some(Hash([7; 32])),
            versions: vec![
                TrainedOn {
                    datanet: DatanetId(Hash([1; 32])),
                    epoch: 4,
                    batch_root: Hash([2; 32]),
                },
                TrainedOn {
                    datanet: DatanetId(Hash([3; 32])),
                    epoch: 9,
                    batch_root: Hash([4; 32]),
                },
            ],
            adapter: None,
            operator: operator.public(),
            created_ms: 1_700_000_000_000,
            nonce: 1,
        }
    }

    #[test]
    fn a_signed_model_record_round_trips_and_verifies() {
        let key = SecretKey::from_seed([9; 32]);
        let record = ModelRecord::sign(body(&key), &key).unwrap();
        let decoded = ModelRecord::from_bytes(&record.to_bytes()).unwrap();
        assert_eq!(decoded, record);
        decoded.verify().unwrap();
        assert_eq!(decoded.id(), record.id());
        assert_eq!(
            record
                .body()
                .version_of(&DatanetId(Hash([3; 32])))
                .map(|v| v.epoch),
            Some(9)
        );
    }

    #[test]
    fn a_record_naming_no_version_or_one_datanet_twice_is_refused() {
        let key = SecretKey::from_seed([9; 32]);
        let mut none = body(&key);
        none.versions.clear();
        assert!(ModelRecord::sign(none, &key).is_err());
        let mut twice = body(&key);
        twice.versions[1].datanet = twice.versions[0].datanet;
        assert!(ModelRecord::sign(twice.clone(), &key).is_err());
        let mut bytes = ModelRecord::sign(body(&key), &key).unwrap().to_bytes();
        let original = body(&key).versions[1].datanet.0 .0;
        let at = bytes.windows(32).position(|w| w == original).unwrap();
        bytes[at..at + 32].copy_from_slice(&twice.versions[0].datanet.0 .0);
        assert!(ModelRecord::from_bytes(&bytes).is_err());
    }

    /// `docs/protocol.md`, whose section 13.3 shows a model record byte by byte.
    const PROTOCOL_DOC: &str = include_str!("../../../docs/protocol.md");

    /// The model record of `docs/protocol.md` 13.3: operated by `seed(1)`, trained on epoch 4
    /// of datanet `01…01` (batch root `02…02`), no weights hash, no adapter.
    fn vector() -> ModelRecord {
        let key = SecretKey::from_seed([1; 32]);
        let body = ModelBody {
            name: "qa-7b".into(),
            base_model: "llama-3-8b".into(),
            weights: None,
            versions: vec![TrainedOn {
                datanet: DatanetId(Hash([1; 32])),
                epoch: 4,
                batch_root: Hash([2; 32]),
            }],
            adapter: None,
            operator: key.public(),
            created_ms: 1_700_000_000_000,
            nonce: 7,
        };
        ModelRecord::sign(body, &key).unwrap()
    }

    #[test]
    fn the_model_record_vector_is_the_documented_one() {
        let record = vector();
        let body = hex::encode(record.body().to_bytes());
        let signature = hex::encode(record.to_bytes())[body.len()..].to_owned();
        for expected in [
            format!("`enc(ModelBody)` = `{body}`"),
            format!("| signature | `{signature}` |"),
            format!(
                "| `ModelId` = `H(Model, body ‖ signature)` | `{}` |",
                record.id()
            ),
        ] {
            assert!(
                PROTOCOL_DOC.contains(&expected),
                "docs/protocol.md does not contain {expected}"
            );
        }
    }

    #[test]
    fn a_record_signed_by_another_key_does_not_verify() {
        let key = SecretKey::from_seed([9; 32]);
        let other = SecretKey::from_seed([8; 32]);
        assert!(ModelRecord::sign(body(&key), &other).is_err());
    }
}
