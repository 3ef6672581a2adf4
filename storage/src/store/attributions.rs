//! Attribution records with the outputs they name, kept per datanet once this node has
//! recomputed their weights, so that proposals can pay by them and votes can check them.

use datanet_protocol::encoding::Encode;
use datanet_protocol::signed::AttributionSubmission;
use datanet_protocol::{DatanetId, Hash};

use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

impl Store {
    /// Stores a submission after checking its record's signature; storing it again is a
    /// no-op. Returns the record's id.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a bad signature, or an engine error.
    pub fn put_attribution(&self, submission: &AttributionSubmission) -> Result<Hash, StoreError> {
        let record = &submission.record;
        record
            .verify()
            .map_err(|e| StoreError::Invalid(format!("attribution record: {e}")))?;
        let id = record.id();
        self.commit(vec![Op::Put(
            key(Kind::Attribution, &[&record.body().datanet.0 .0, &id.0]),
            submission.to_bytes(),
        )])?;
        Ok(id)
    }

    /// The submission of record `id` to `datanet`, if stored.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn attribution(
        &self,
        datanet: &DatanetId,
        id: &Hash,
    ) -> Result<Option<AttributionSubmission>, StoreError> {
        self.get(&key(Kind::Attribution, &[&datanet.0 .0, &id.0]), || {
            format!("attribution record {id}")
        })
    }

    /// Every stored submission to `datanet`, in record id order.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn attributions(
        &self,
        datanet: &DatanetId,
    ) -> Result<Vec<AttributionSubmission>, StoreError> {
        Ok(self
            .scan(Kind::Attribution, &[&datanet.0 .0], "attribution record")?
            .into_iter()
            .map(|(_, s)| s)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use datanet_protocol::signed::{output_hash, AttributionBody, AttributionRecord};
    use datanet_protocol::{ModelId, SecretKey};

    use super::*;

    fn submission(datanet: u8, output: &str) -> AttributionSubmission {
        let operator = SecretKey::from_seed([1; 32]);
        let body = AttributionBody {
            model: ModelId(Hash([3; 32])),
            datanet: DatanetId(Hash([datanet; 32])),
            operator: operator.public(),
            output_hash: output_hash(output.as_bytes()),
            min_span: 32,
            weights: vec![(SecretKey::from_seed([2; 32]).public(), 9)],
        };
        AttributionSubmission {
            record: AttributionRecord::sign(body, &operator).unwrap(),
            output: output.into(),
        }
    }

    #[test]
    fn submissions_are_kept_per_datanet_and_read_back_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (a, b, other) = (
            submission(1, "one"),
            submission(1, "two"),
            submission(2, "one"),
        );
        for s in [&a, &b, &other, &a] {
            store.put_attribution(s).unwrap();
        }
        let datanet = DatanetId(Hash([1; 32]));
        let mut expected = vec![a.clone(), b];
        expected.sort_by_key(|s| s.record.id());
        assert_eq!(store.attributions(&datanet).unwrap(), expected);
        assert_eq!(
            store.attribution(&datanet, &a.record.id()).unwrap(),
            Some(a)
        );
        assert_eq!(
            store.attribution(&datanet, &other.record.id()).unwrap(),
            None
        );
    }
}
