//! Typed, verifying fetches: each asks one peer for one thing, checks the answer before
//! handing it on, and scores the peer the same way at every call site. A peer that answers
//! with a malformed frame, the wrong kind of answer, or data that does not verify loses
//! [`crate::PeerScores::INVALID`]; a peer that is slow, gone, or does not hold the thing
//! loses nothing.

use std::collections::BTreeSet;

use bytes::Bytes;
use datanet_protocol::encoding::Encode;
use datanet_protocol::sync::{Fingerprint, IdPrefix};
use datanet_protocol::wire::{ColumnHalf, Request, Response, SampleAnswer};
use datanet_protocol::{
    Attestation, Axis, ContributionId, DaRoot, Datanet, DatanetId, FinalBatch, Hash, Line,
    Manifest, SquareHeader, ValidatorSet, SHARE_SIZE,
};
use libp2p::PeerId;

use crate::{FetchError, NetError, NetHandle};

impl NetHandle {
    /// Sends `request` to `peer`; a `NotFound` or `Refused` answer becomes its error, and a
    /// failure that is the peer's fault costs it score.
    async fn ask(&self, peer: PeerId, request: Request) -> Result<Response, FetchError> {
        let answer = match self.request(peer, request).await {
            Ok(Response::NotFound) => Err(FetchError::NotFound(peer)),
            Ok(Response::Refused(reason)) => Err(FetchError::Refused { peer, reason }),
            Ok(response) => Ok(response),
            Err(e) => Err(FetchError::Net(e)),
        };
        if let Err(e) = &answer {
            self.score_fault(peer, e);
        }
        answer
    }

    /// Lowers `peer`'s score when `error` is its fault.
    fn score_fault(&self, peer: PeerId, error: &FetchError) {
        if error.is_peer_fault() {
            self.scores.record(peer, false);
        }
    }

    /// `Err` for an answer that is not of the kind asked for, which costs the peer score.
    fn wrong_kind<T>(&self, peer: PeerId, asked: &str, got: &Response) -> Result<T, FetchError> {
        self.invalid(peer, format!("answered {asked} with {}", kind_of(got)))
    }

    /// `Err` for invalid data from `peer`, which costs it score.
    fn invalid<T>(&self, peer: PeerId, why: String) -> Result<T, FetchError> {
        self.scores.record(peer, false);
        Err(FetchError::Invalid { peer, why })
    }

    /// The manifest of contribution `id` and its chunks' square headers from `peer`, checked
    /// as a store checks them before keeping them (id, signature, one matching header per
    /// chunk).
    ///
    /// # Errors
    /// [`FetchError`]; a manifest that fails its check is [`FetchError::Invalid`].
    pub async fn get_manifest(
        &self,
        peer: PeerId,
        id: ContributionId,
    ) -> Result<(Manifest, Vec<SquareHeader>), FetchError> {
        let (manifest, headers) = match self.ask(peer, Request::GetManifest(id)).await? {
            Response::Manifest { manifest, headers } => (*manifest, headers),
            other => return self.wrong_kind(peer, "GetManifest", &other),
        };
        if manifest.id() != id {
            return self.invalid(peer, format!("sent manifest {} for {id}", manifest.id()));
        }
        let check = manifest.clone();
        let headers =
            tokio::task::spawn_blocking(move || check.check_headers(&headers).map(|()| headers))
                .await
                .map_err(|_| FetchError::Stopped)?;
        match headers {
            Ok(headers) => Ok((manifest, headers)),
            Err(e) => self.invalid(peer, format!("manifest {id}: {e}")),
        }
    }

    /// The manifest of contribution `id` and its headers from the first connected storage
    /// peer that has them, each answer checked as [`NetHandle::get_manifest`] checks it;
    /// `None` when none has them.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn find_manifest(
        &self,
        id: ContributionId,
    ) -> Result<Option<(Manifest, Vec<SquareHeader>)>, NetError> {
        for peer in self.storage_peers().await? {
            match self.get_manifest(peer, id).await {
                Ok(found) => return Ok(Some(found)),
                Err(e) => tracing::debug!(%peer, %id, error = %e, "manifest not fetched"),
            }
        }
        Ok(None)
    }

    /// The datanet record `id` from `peer`, its owner's signature verified.
    ///
    /// # Errors
    /// [`FetchError`]; a wrong or unsigned record is [`FetchError::Invalid`].
    pub async fn get_datanet(&self, peer: PeerId, id: DatanetId) -> Result<Datanet, FetchError> {
        let datanet = match self.ask(peer, Request::GetDatanet(id)).await? {
            Response::Datanet(datanet) => *datanet,
            other => return self.wrong_kind(peer, "GetDatanet", &other),
        };
        if datanet.id() != id {
            return self.invalid(peer, format!("sent datanet {} for {id}", datanet.id()));
        }
        if let Err(e) = datanet.verify() {
            return self.invalid(peer, format!("datanet {id}: {e}"));
        }
        Ok(datanet)
    }

    /// The top halves of columns `batch` of the square under `header` that `peer` holds,
    /// unproven: each asked for, once, and of the right length; every half that is not costs
    /// the peer score and is left out. Whether the rest are right only the square rebuilt
    /// from them tells, so valid halves are not scored here.
    ///
    /// # Errors
    /// [`FetchError`] when the request fails or the answer is of the wrong kind.
    pub async fn get_column_halves(
        &self,
        peer: PeerId,
        header: &SquareHeader,
        batch: &[u16],
    ) -> Result<Vec<(u16, Bytes)>, FetchError> {
        let request = Request::GetColumnHalves {
            da_root: header.da_root(),
            indices: batch.to_vec(),
        };
        let answered = match self.ask(peer, request).await? {
            Response::ColumnHalves(halves) => halves,
            other => return self.wrong_kind(peer, "GetColumnHalves", &other),
        };
        let len = header.params.k() * SHARE_SIZE;
        let mut seen = BTreeSet::new();
        Ok(answered
            .into_iter()
            .filter(|(index, half)| {
                let usable = batch.contains(index) && seen.insert(*index) && half.len() == len;
                if !usable {
                    self.scores.record(peer, false);
                }
                usable
            })
            .collect())
    }

    /// The whole columns `batch` of the square under `header` that `peer` holds, each proven
    /// against the DA root (on the blocking pool: up to 4 MiB of hashing); each column scores
    /// the peer, valid or not, and only valid ones are returned.
    ///
    /// # Errors
    /// [`FetchError`] when the request fails or the answer is of the wrong kind.
    pub async fn get_columns(
        &self,
        peer: PeerId,
        header: &SquareHeader,
        batch: &[u16],
    ) -> Result<Vec<Line>, FetchError> {
        let da_root = header.da_root();
        let request = Request::GetColumns {
            da_root,
            indices: batch.to_vec(),
        };
        let answered = match self.ask(peer, request).await? {
            Response::Columns(lines) => lines,
            other => return self.wrong_kind(peer, "GetColumns", &other),
        };
        let wanted = batch.to_vec();
        let checked =
            tokio::task::spawn_blocking(move || check_columns(&da_root, &wanted, answered))
                .await
                .unwrap_or_default();
        Ok(checked
            .into_iter()
            .filter_map(|(line, valid)| {
                self.scores.record(peer, valid);
                valid.then_some(line)
            })
            .collect())
    }

    /// The shares at `coordinates` of the square under `header` from `peer`, in order, each
    /// checked against the header: `None` where the peer has no share or its proof fails.
    /// Every share answered scores the peer, valid or not.
    ///
    /// # Errors
    /// [`FetchError`] when the request fails, or the answer is of the wrong kind or count.
    pub async fn get_samples(
        &self,
        peer: PeerId,
        header: &SquareHeader,
        coordinates: &[(u16, u16)],
    ) -> Result<Vec<Option<Vec<u8>>>, FetchError> {
        let request = Request::GetSamples {
            da_root: header.da_root(),
            coordinates: coordinates.to_vec(),
            axis_paths: false,
        };
        let answers = match self.ask(peer, request).await? {
            Response::Samples(answers) if answers.len() == coordinates.len() => answers,
            Response::Samples(answers) => {
                let why = format!("{} samples for {}", answers.len(), coordinates.len());
                return self.invalid(peer, why);
            }
            other => return self.wrong_kind(peer, "GetSamples", &other),
        };
        Ok(coordinates
            .iter()
            .zip(answers)
            .map(|(&(row, col), answer)| match answer {
                SampleAnswer::Found { share, proof } => {
                    let valid = proof
                        .verify_in(header, row.into(), col.into(), &share)
                        .is_ok();
                    self.scores.record(peer, valid);
                    valid.then_some(share)
                }
                SampleAnswer::Missing => None,
            })
            .collect())
    }

    /// The ids of the contributions to `datanet` that `peer` stores, ascending, from the
    /// first above `after`: one page of at most `limit` (itself at most
    /// [`MAX_LISTED`](datanet_protocol::wire::MAX_LISTED)); a shorter page is the last.
    ///
    /// # Errors
    /// [`FetchError`]; a list out of order, or not above `after`, is [`FetchError::Invalid`].
    pub async fn list_contributions(
        &self,
        peer: PeerId,
        datanet: DatanetId,
        after: ContributionId,
        limit: u16,
    ) -> Result<Vec<ContributionId>, FetchError> {
        let request = Request::ListContributions {
            datanet,
            after,
            limit,
        };
        let ids = match self.ask(peer, request).await? {
            Response::Contributions(ids) => ids,
            other => return self.wrong_kind(peer, "ListContributions", &other),
        };
        if !ascending_after(&ids, &after) {
            return self.invalid(peer, "contribution ids out of order".to_owned());
        }
        if ids.len() > usize::from(limit) {
            return self.invalid(peer, format!("{} ids for a limit of {limit}", ids.len()));
        }
        Ok(ids)
    }

    /// `peer`'s fingerprints of the contribution ids of `datanet` in each of `prefixes` (at
    /// most [`MAX_FINGERPRINTS`](datanet_protocol::wire::MAX_FINGERPRINTS)), in order.
    ///
    /// # Errors
    /// [`FetchError`]; an answer with another number of fingerprints is
    /// [`FetchError::Invalid`].
    pub async fn fingerprints(
        &self,
        peer: PeerId,
        datanet: DatanetId,
        prefixes: Vec<IdPrefix>,
    ) -> Result<Vec<Fingerprint>, FetchError> {
        let asked = prefixes.len();
        let fingerprints = match self
            .ask(peer, Request::Fingerprints { datanet, prefixes })
            .await?
        {
            Response::Fingerprints(fingerprints) => fingerprints,
            other => return self.wrong_kind(peer, "Fingerprints", &other),
        };
        if fingerprints.len() != asked {
            return self.invalid(
                peer,
                format!("{} fingerprints for {asked} ranges", fingerprints.len()),
            );
        }
        Ok(fingerprints)
    }

    /// The ids of the datanets whose records `peer` stores, ascending, from the first above
    /// `after`: one page of at most [`MAX_LISTED`](datanet_protocol::wire::MAX_LISTED); a
    /// shorter page is the last.
    ///
    /// # Errors
    /// [`FetchError`]; a list out of order, or not above `after`, is [`FetchError::Invalid`].
    pub async fn list_datanets(
        &self,
        peer: PeerId,
        after: DatanetId,
    ) -> Result<Vec<DatanetId>, FetchError> {
        let ids = match self.ask(peer, Request::ListDatanets { after }).await? {
            Response::Datanets(ids) => ids,
            other => return self.wrong_kind(peer, "ListDatanets", &other),
        };
        if !ascending_after(&ids, &after) {
            return self.invalid(peer, "datanet ids out of order".to_owned());
        }
        Ok(ids)
    }

    /// The final batch of `datanet`'s `epoch` from `peer`, checked against `set` (leader,
    /// certificates and votes; the root is for the caller to rebuild from its manifests).
    ///
    /// # Errors
    /// [`FetchError`]; a batch for another slot or one that fails its check is
    /// [`FetchError::Invalid`].
    pub async fn get_batch(
        &self,
        peer: PeerId,
        set: &ValidatorSet,
        datanet: DatanetId,
        epoch: u64,
    ) -> Result<FinalBatch, FetchError> {
        let batch = self.batch_of_slot(peer, datanet, epoch).await?;
        if let Err(e) = batch.verify(set) {
            return self.invalid(peer, format!("batch {epoch} of {datanet}: {e}"));
        }
        Ok(batch)
    }

    /// The final batch of `datanet`'s `epoch` from `peer`, for a caller that knows its root
    /// from the chain rather than the validator set: the batch must be of that slot and
    /// propose that root (the caller rebuilds the root from the leaves' manifests).
    ///
    /// # Errors
    /// [`FetchError`]; a batch for another slot or root is [`FetchError::Invalid`].
    pub async fn get_anchored_batch(
        &self,
        peer: PeerId,
        datanet: DatanetId,
        epoch: u64,
        root: Hash,
    ) -> Result<FinalBatch, FetchError> {
        let batch = self.batch_of_slot(peer, datanet, epoch).await?;
        if batch.root() != root {
            return self.invalid(
                peer,
                format!(
                    "batch {epoch} of {datanet} has root {}, not the anchored {root}",
                    batch.root()
                ),
            );
        }
        Ok(batch)
    }

    /// The final batch `peer` holds for `datanet`'s `epoch`, unchecked but for its slot.
    async fn batch_of_slot(
        &self,
        peer: PeerId,
        datanet: DatanetId,
        epoch: u64,
    ) -> Result<FinalBatch, FetchError> {
        let batch = match self.ask(peer, Request::GetBatch { datanet, epoch }).await? {
            Response::Batch(batch) => *batch,
            other => return self.wrong_kind(peer, "GetBatch", &other),
        };
        if batch.slot() != (datanet, epoch) {
            return self.invalid(peer, format!("sent another batch for epoch {epoch}"));
        }
        Ok(batch)
    }

    /// The attestations `peer` holds on `contribution`, equivocations included; each one
    /// on another contribution or wrongly signed costs the peer score and is left out.
    ///
    /// # Errors
    /// [`FetchError`] when the request fails or the answer is of the wrong kind.
    pub async fn get_attestations(
        &self,
        peer: PeerId,
        contribution: ContributionId,
    ) -> Result<Vec<Attestation>, FetchError> {
        let all = match self
            .ask(peer, Request::GetAttestations(contribution))
            .await?
        {
            Response::Attestations(all) => all,
            other => return self.wrong_kind(peer, "GetAttestations", &other),
        };
        let (valid, invalid): (Vec<_>, Vec<_>) = all
            .into_iter()
            .partition(|a| a.body().contribution == contribution && a.verify().is_ok());
        if !invalid.is_empty() {
            self.scores.record(peer, false);
        }
        Ok(valid)
    }

    /// Gives `peer` custody of a contribution: its manifest and headers, which it verifies
    /// and stores before it takes any column. Returns the bytes the request put on the wire.
    ///
    /// # Errors
    /// [`FetchError`]; a refusal carries the peer's reason.
    pub async fn put_manifest(
        &self,
        peer: PeerId,
        manifest: &Manifest,
        headers: &[SquareHeader],
    ) -> Result<u64, FetchError> {
        let request = Request::PutManifest {
            manifest: Box::new(manifest.clone()),
            headers: headers.to_vec(),
        };
        let sent = request.encoded_len().unwrap_or_default() as u64;
        match self.ask(peer, request).await? {
            Response::Stored => Ok(sent),
            other => self.wrong_kind(peer, "PutManifest", &other),
        }
    }

    /// Gives `peer` columns of the square under `da_root` as top halves, which it extends,
    /// verifies and stores all or none of.
    ///
    /// # Errors
    /// [`FetchError`]; a refusal carries the peer's reason.
    pub async fn put_columns(
        &self,
        peer: PeerId,
        da_root: DaRoot,
        columns: Vec<ColumnHalf>,
    ) -> Result<(), FetchError> {
        match self
            .ask(peer, Request::PutColumns { da_root, columns })
            .await?
        {
            Response::Stored => Ok(()),
            other => self.wrong_kind(peer, "PutColumns", &other),
        }
    }
}

/// Each answered column with whether it is one asked for, not repeated, and proven against
/// `da_root`.
fn check_columns(da_root: &DaRoot, wanted: &[u16], lines: Vec<Line>) -> Vec<(Line, bool)> {
    let mut seen = BTreeSet::new();
    lines
        .into_iter()
        .map(|line| {
            let valid = line.axis == Axis::Col
                && wanted.contains(&line.index)
                && seen.insert(line.index)
                && line.verify(da_root).is_ok();
            (line, valid)
        })
        .collect()
}

/// The name of a response's kind, for errors.
/// Whether a listing page is strictly ascending and starts above its cursor `after`, as
/// every listing must.
fn ascending_after<T: Ord>(ids: &[T], after: &T) -> bool {
    ids.first().is_none_or(|first| first > after) && ids.windows(2).all(|pair| pair[0] < pair[1])
}

fn kind_of(response: &Response) -> &'static str {
    match response {
        Response::Stored => "Stored",
        Response::Manifest { .. } => "Manifest",
        Response::Column(_) => "Column",
        Response::Columns(_) => "Columns",
        Response::ColumnHalves(_) => "ColumnHalves",
        Response::Fingerprints(_) => "Fingerprints",
        Response::Datanet(_) => "Datanet",
        Response::Samples(_) => "Samples",
        Response::NotFound => "NotFound",
        Response::Refused(_) => "Refused",
        Response::Contributions(_) => "Contributions",
        Response::Datanets(_) => "Datanets",
        Response::Batch(_) => "Batch",
        Response::Attestations(_) => "Attestations",
    }
}
