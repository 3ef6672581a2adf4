//! Attestations (verified before they are stored), evidence of equivocation, quorum
//! certificates, and a validator's record of its own votes.

use datanet_policy::NewRecords;
use datanet_protocol::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use datanet_protocol::{Attestation, ContributionId, DatanetId, Hash, Manifest, QuorumCertificate};

use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

/// What storing an attestation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttestationOutcome {
    /// The validator's first attestation on the contribution: stored.
    New,
    /// The same attestation was already stored.
    Known,
    /// The validator had signed a different attestation on the same contribution: both are
    /// now kept as evidence, and the first stays where it was.
    Equivocation(Attestation),
}

/// Two different attestations one validator signed on one contribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equivocation {
    /// The one stored first.
    pub first: Attestation,
    /// The one that contradicts it.
    pub second: Attestation,
}

impl Encode for Equivocation {
    fn encode_to(&self, out: &mut Writer) {
        self.first.encode_to(out);
        self.second.encode_to(out);
    }
}

impl Decode for Equivocation {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Equivocation {
            first: Attestation::decode_from(r)?,
            second: Attestation::decode_from(r)?,
        })
    }
}

impl Store {
    /// Stores an attestation after checking its signature. A validator's first attestation
    /// on a contribution is kept; a different second one is kept beside it as evidence of
    /// equivocation (a third changes nothing).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a bad signature, or an engine error.
    pub fn put_attestation(
        &self,
        attestation: &Attestation,
    ) -> Result<AttestationOutcome, StoreError> {
        self.put_attestation_with(attestation, Vec::new())
    }

    /// Stores this node's own accepting attestation with, in the same commit, a note that
    /// the records of its contribution are still to be added to `datanet`'s record index
    /// ([`Store::add_owed_records`] adds them and clears the note). The attestation can then
    /// go out at once, and a crash between the two leaves the note for a restart to act on.
    ///
    /// # Errors
    /// As [`Store::put_attestation`]; nothing is stored then.
    pub fn put_attestation_owing_records(
        &self,
        attestation: &Attestation,
        datanet: &DatanetId,
    ) -> Result<AttestationOutcome, StoreError> {
        let note = key(Kind::RecordsOwed, &[&attestation.body().contribution.0 .0]);
        self.put_attestation_with(attestation, vec![Op::Put(note, datanet.0 .0.to_vec())])
    }

    /// Adds `records` of `contribution` (the checker's new records, in memory or spilled to a
    /// file) to `datanet`'s record index and clears the note that they were owed, in one
    /// commit: a crash leaves the note and none of the records, or the records and no note.
    /// Adding records already there changes nothing.
    ///
    /// # Errors
    /// As [`Store::add_records`], or an error reading spilled hashes back, or
    /// [`StoreError::Invalid`] for spilled hashes out of order; the note stays then.
    pub fn add_owed_records(
        &self,
        datanet: &DatanetId,
        contribution: &ContributionId,
        records: NewRecords,
    ) -> Result<(), StoreError> {
        let note = Op::Delete(key(Kind::RecordsOwed, &[&contribution.0 .0]));
        self.index_new_records(datanet, contribution, records, vec![note])
    }

    /// The contributions whose records this node's validator still owes to the record index,
    /// with their datanets.
    ///
    /// # Errors
    /// An engine error, or [`StoreError::Corrupted`] for a damaged note.
    pub fn records_owed(&self) -> Result<Vec<(DatanetId, ContributionId)>, StoreError> {
        self.backend
            .scan(&key(Kind::RecordsOwed, &[]))?
            .into_iter()
            .map(|(k, v)| {
                let corrupted = || StoreError::Corrupted {
                    what: "a note of owed records".into(),
                };
                let id: [u8; 32] = k
                    .get(1..)
                    .and_then(|p| p.try_into().ok())
                    .ok_or_else(corrupted)?;
                let datanet: [u8; 32] = v.as_slice().try_into().map_err(|_| corrupted())?;
                Ok((DatanetId(Hash(datanet)), ContributionId(Hash(id))))
            })
            .collect()
    }

    fn put_attestation_with(
        &self,
        attestation: &Attestation,
        mut with: Vec<Op>,
    ) -> Result<AttestationOutcome, StoreError> {
        attestation
            .verify()
            .map_err(|e| StoreError::Invalid(format!("attestation: {e}")))?;
        let body = attestation.body();
        let parts: [&[u8]; 2] = [&body.contribution.0 .0, &body.validator.to_bytes()];
        let k = key(Kind::Attestation, &parts);
        let bytes = attestation.to_bytes();
        let Some(existing) = self.backend.get(&k)? else {
            with.push(Op::Put(k, bytes));
            self.commit(with)?;
            return Ok(AttestationOutcome::New);
        };
        if existing == bytes {
            return Ok(AttestationOutcome::Known);
        }
        let first =
            Attestation::from_bytes(&existing).map_err(|e| StoreError::decode("attestation", e))?;
        let evidence = key(Kind::Evidence, &parts);
        if self.backend.get(&evidence)?.is_none() {
            let pair = Equivocation {
                first: first.clone(),
                second: attestation.clone(),
            };
            self.commit(vec![Op::Put(evidence, pair.to_bytes())])?;
        }
        Ok(AttestationOutcome::Equivocation(first))
    }

    /// The first attestation of each validator on `contribution`, by validator key.
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

    /// The equivocations on `contribution`, by validator key.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn equivocations(
        &self,
        contribution: &ContributionId,
    ) -> Result<Vec<Equivocation>, StoreError> {
        Ok(self
            .scan(Kind::Evidence, &[&contribution.0 .0], "equivocation")?
            .into_iter()
            .map(|(_, e)| e)
            .collect())
    }

    /// Stores the quorum certificate of `manifest`'s contribution (checked against its
    /// validator set by the caller, who holds the set), and indexes the contribution as the
    /// accepted one with its payload in its datanet, in one commit. The first certificate
    /// stored stays: every node's leaf for the contribution then commits to one certificate.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a certificate of another contribution, or an engine error.
    pub fn put_certificate(
        &self,
        manifest: &Manifest,
        qc: &QuorumCertificate,
    ) -> Result<(), StoreError> {
        let ops = self.certificate_ops(manifest, qc)?;
        self.commit(ops)
    }

    /// The writes that store `qc` for `manifest`'s contribution and index its payload as
    /// accepted, unless a certificate is stored already (then none).
    pub(crate) fn certificate_ops(
        &self,
        manifest: &Manifest,
        qc: &QuorumCertificate,
    ) -> Result<Vec<Op>, StoreError> {
        if qc.contribution != manifest.id() {
            return Err(StoreError::Invalid(format!(
                "a certificate of {} given for {}",
                qc.contribution,
                manifest.id()
            )));
        }
        let k = key(Kind::Certificate, &[&qc.contribution.0 .0]);
        if self.backend.get(&k)?.is_some() {
            return Ok(Vec::new());
        }
        let body = manifest.body();
        let payload = key(
            Kind::AcceptedPayload,
            &[&body.datanet.0 .0, &body.payload_hash.0],
        );
        let mut ops = vec![Op::Put(k, qc.to_bytes())];
        if self.backend.get(&payload)?.is_none() {
            ops.push(Op::Put(payload, qc.contribution.0 .0.to_vec()));
        }
        Ok(ops)
    }

    /// The first accepted contribution of `datanet` whose payload hashes to `payload`, if
    /// any: what an exact duplicate repeats.
    ///
    /// # Errors
    /// An engine error, or [`StoreError::Corrupted`] for a damaged record.
    pub fn accepted_payload(
        &self,
        datanet: &DatanetId,
        payload: &Hash,
    ) -> Result<Option<ContributionId>, StoreError> {
        match self
            .backend
            .get(&key(Kind::AcceptedPayload, &[&datanet.0 .0, &payload.0]))?
        {
            None => Ok(None),
            Some(bytes) => bytes
                .as_slice()
                .try_into()
                .map(|id| Some(ContributionId(Hash(id))))
                .map_err(|_| StoreError::Corrupted {
                    what: format!("accepted payload index of {payload}"),
                }),
        }
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

    /// Records, durably and before it is sent, that this node's validator votes for `root`
    /// in `datanet`'s `epoch`. Returns whether that vote may go out: yes if it is the first
    /// vote for that epoch or repeats it, no if another root was voted for.
    ///
    /// # Errors
    /// An engine error.
    pub fn record_vote(
        &self,
        datanet: &DatanetId,
        epoch: u64,
        root: &Hash,
    ) -> Result<bool, StoreError> {
        let k = key(Kind::Vote, &[&datanet.0 .0, &epoch.to_be_bytes()]);
        match self.backend.get(&k)? {
            Some(voted) => Ok(voted == root.0),
            None => {
                self.commit(vec![Op::Put(k, root.0.to_vec())])?;
                Ok(true)
            }
        }
    }
}
