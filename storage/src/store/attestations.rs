//! Attestations (verified before they are stored) and quorum certificates.

use datanet_protocol::encoding::Encode;
use datanet_protocol::{Attestation, ContributionId, QuorumCertificate};

use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

impl Store {
    /// Stores an attestation after checking its signature. A validator has one attestation
    /// per contribution: a second, different one is refused.
    ///
    /// # Errors
    /// [`StoreError::Invalid`], [`StoreError::Conflict`] or an engine error.
    pub fn put_attestation(&self, attestation: &Attestation) -> Result<(), StoreError> {
        attestation
            .verify()
            .map_err(|e| StoreError::Invalid(format!("attestation: {e}")))?;
        let body = attestation.body();
        let k = key(
            Kind::Attestation,
            &[&body.contribution.0 .0, &body.validator.to_bytes()],
        );
        let bytes = attestation.to_bytes();
        match self.backend.get(&k)? {
            Some(existing) if existing == bytes => Ok(()),
            Some(_) => Err(StoreError::Conflict(format!(
                "{} already attested {} differently",
                body.validator, body.contribution
            ))),
            None => self.commit(vec![Op::Put(k, bytes)]),
        }
    }

    /// Every stored attestation on `contribution`, by validator key.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn attestations(
        &self,
        contribution: &ContributionId,
    ) -> Result<Vec<Attestation>, StoreError> {
        Ok(self
            .scan(Kind::Attestation, &[&contribution.0 .0], "attestation")?
            .into_iter()
            .map(|(_, a)| a)
            .collect())
    }

    /// Stores the quorum certificate of its contribution (checked against its validator set by
    /// the caller, who holds the set).
    ///
    /// # Errors
    /// An engine error.
    pub fn put_certificate(&self, qc: &QuorumCertificate) -> Result<(), StoreError> {
        self.commit(vec![Op::Put(
            key(Kind::Certificate, &[&qc.contribution.0 .0]),
            qc.to_bytes(),
        )])
    }

    /// The quorum certificate of `contribution`, if one formed.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn certificate(
        &self,
        contribution: &ContributionId,
    ) -> Result<Option<QuorumCertificate>, StoreError> {
        self.get(&key(Kind::Certificate, &[&contribution.0 .0]), || {
            format!("certificate of {contribution}")
        })
    }
}
