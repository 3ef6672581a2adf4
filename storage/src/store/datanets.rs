//! Datanet records, verified before they are stored.

use datanet_protocol::encoding::Encode;
use datanet_protocol::{Datanet, DatanetId};

use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

impl Store {
    /// Stores a datanet record after checking its owner's signature; storing it again is a
    /// no-op.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a bad signature, or an engine error.
    pub fn put_datanet(&self, datanet: &Datanet) -> Result<DatanetId, StoreError> {
        datanet
            .verify()
            .map_err(|e| StoreError::Invalid(format!("datanet record: {e}")))?;
        let id = datanet.id();
        self.commit(vec![Op::Put(
            key(Kind::Datanet, &[&id.0 .0]),
            datanet.to_bytes(),
        )])?;
        Ok(id)
    }

    /// The datanet with this id.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn datanet(&self, id: &DatanetId) -> Result<Option<Datanet>, StoreError> {
        self.get(&key(Kind::Datanet, &[&id.0 .0]), || format!("datanet {id}"))
    }

    /// Every stored datanet, in id order.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn datanets(&self) -> Result<Vec<Datanet>, StoreError> {
        Ok(self
            .scan(Kind::Datanet, &[], "datanet")?
            .into_iter()
            .map(|(_, d)| d)
            .collect())
    }
}
