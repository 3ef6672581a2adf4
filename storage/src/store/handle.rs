//! The async-friendly handle: store calls run on tokio's blocking pool, never on the async
//! runtime's worker threads.

use crate::{Store, StoreError};

/// A [`Store`] for async code. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AsyncStore {
    store: Store,
}

impl AsyncStore {
    /// Wraps a store.
    pub fn new(store: Store) -> Self {
        AsyncStore { store }
    }

    /// Runs `f` with the store on the blocking pool and returns its result.
    ///
    /// # Errors
    /// [`StoreError::WorkerDied`] if the blocking task panicked or was cancelled, else what
    /// `f` returns.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| StoreError::WorkerDied(e.to_string()))?
    }

    /// The underlying blocking store.
    pub fn blocking(&self) -> &Store {
        &self.store
    }
}
