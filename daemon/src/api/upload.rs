//! Uploads staged on disk: the request body is streamed into a file in the node's staging
//! folder, bounded by the datanet's size limit and an idle timeout, and the file is removed
//! whatever happens — a client that disconnects, a body over the limit, or a finished ingest.

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::body::Body;
use axum::http::StatusCode;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use super::error::ApiError;

/// A staged upload's file, removed when dropped.
#[derive(Debug)]
pub(crate) struct Staged {
    path: PathBuf,
    len: u64,
}

impl Staged {
    /// The file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes received.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Streams `body` into a new file under `dir`, refusing more than `limit` bytes and a body
/// that sends nothing for `idle`.
pub(crate) async fn stage(
    dir: &Path,
    body: Body,
    limit: u64,
    idle: Duration,
) -> Result<Staged, ApiError> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| storage_error(dir, &e))?;
    let name = format!("{:016x}.part", rand::random::<u64>());
    let mut staged = Staged {
        path: dir.join(name),
        len: 0,
    };
    let file = tokio::fs::File::create(&staged.path)
        .await
        .map_err(|e| storage_error(dir, &e))?;
    let mut out = tokio::io::BufWriter::with_capacity(1 << 20, file);
    let mut stream = body.into_data_stream();
    loop {
        let frame = tokio::time::timeout(idle, stream.next())
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "timeout",
                    format!("the upload sent nothing for {} s", idle.as_secs()),
                )
            })?;
        let Some(frame) = frame else { break };
        let bytes =
            frame.map_err(|e| ApiError::bad_request(format!("the upload was cut off: {e}")))?;
        staged.len += bytes.len() as u64;
        if staged.len > limit {
            return Err(too_large(limit));
        }
        out.write_all(&bytes)
            .await
            .map_err(|e| storage_error(dir, &e))?;
    }
    out.flush().await.map_err(|e| storage_error(dir, &e))?;
    Ok(staged)
}

/// 413 for a body over `limit` bytes.
pub(crate) fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("contributions to this datanet are limited to {limit} bytes"),
    )
}

fn storage_error(dir: &Path, e: &std::io::Error) -> ApiError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        return ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "disk_full",
            format!("no space left for the upload in {}", dir.display()),
        );
    }
    ApiError::internal(format!("staging the upload in {}: {e}", dir.display()))
}
