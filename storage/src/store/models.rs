//! Model records, verified before they are stored.

use datanet_protocol::encoding::Encode;
use datanet_protocol::signed::ModelRecord;
use datanet_protocol::ModelId;

use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

impl Store {
    /// Stores a model record after checking its operator's signature; storing it again is a
    /// no-op.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a bad signature, or an engine error.
    pub fn put_model(&self, model: &ModelRecord) -> Result<ModelId, StoreError> {
        model
            .verify()
            .map_err(|e| StoreError::Invalid(format!("model record: {e}")))?;
        let id = model.id();
        self.commit(vec![Op::Put(
            key(Kind::Model, &[&id.0 .0]),
            model.to_bytes(),
        )])?;
        Ok(id)
    }

    /// The model with this id.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn model(&self, id: &ModelId) -> Result<Option<ModelRecord>, StoreError> {
        self.get(&key(Kind::Model, &[&id.0 .0]), || format!("model {id}"))
    }

    /// Every stored model record, in id order.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn models(&self) -> Result<Vec<ModelRecord>, StoreError> {
        Ok(self
            .scan(Kind::Model, &[], "model")?
            .into_iter()
            .map(|(_, m)| m)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use datanet_protocol::signed::TrainedOn;
    use datanet_protocol::test_utils::sample_model;
    use datanet_protocol::{DatanetId, Hash, SecretKey};

    use super::*;

    fn record(seed: u8) -> ModelRecord {
        let version = TrainedOn {
            datanet: DatanetId(Hash([1; 32])),
            epoch: 1,
            batch_root: Hash([2; 32]),
        };
        sample_model(&SecretKey::from_seed([seed; 32]), version)
    }

    #[test]
    fn a_stored_model_is_read_back_and_listed_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let model = record(1);
        let id = store.put_model(&model).unwrap();
        assert_eq!(store.put_model(&model).unwrap(), id);
        assert_eq!(store.model(&id).unwrap(), Some(model.clone()));
        assert_eq!(store.models().unwrap(), vec![model]);
        assert_eq!(store.model(&record(2).id()).unwrap(), None);
    }
}
