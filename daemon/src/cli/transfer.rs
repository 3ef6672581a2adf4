//! Streaming a file to the daemon and a payload back from it, with a progress bar on a
//! terminal, and checking what came back against the manifest's payload hash.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use datanet_protocol::hash::{Domain, Hasher};
use futures::{Stream, StreamExt};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::Method;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::client::{read_json, Client};
use super::{output, CliError};
use crate::api::views::ContributionView;

/// Bytes read from the input per body frame.
const FRAME: usize = 1 << 20;

/// A progress bar of `len` bytes (a spinner when unknown), hidden unless stderr is a
/// terminal and `quiet` is off.
fn bar(len: Option<u64>, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    match len {
        Some(len) => ProgressBar::new(len).with_style(
            ProgressStyle::with_template(
                "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner(),
    }
}

/// `reader` as body frames, counting bytes on `bar`.
fn frames(
    reader: impl AsyncRead + Unpin + Send + 'static,
    bar: ProgressBar,
) -> impl Stream<Item = Result<Frame<Bytes>, std::io::Error>> + Send + 'static {
    futures::stream::unfold((reader, bar), |(mut reader, bar)| async move {
        let mut buffer = vec![0u8; FRAME];
        match reader.read(&mut buffer).await {
            Ok(0) => {
                bar.finish_and_clear();
                None
            }
            Ok(n) => {
                buffer.truncate(n);
                bar.inc(n as u64);
                Some((Ok(Frame::data(Bytes::from(buffer))), (reader, bar)))
            }
            Err(e) => Some((Err(e), (reader, bar))),
        }
    })
}

/// Uploads `file` (`-` for stdin) to `datanet` and returns the contribution.
pub(crate) async fn upload(
    client: &Client,
    datanet: &str,
    file: &Path,
    media_type: &str,
    quiet: bool,
) -> Result<ContributionView, CliError> {
    let mut headers = vec![("content-type", media_type.to_owned())];
    let (body, progress) = if file == Path::new("-") {
        let bar = bar(None, quiet);
        bar.set_message("uploading stdin");
        let body = BodyExt::boxed(StreamBody::new(frames(tokio::io::stdin(), bar.clone())));
        (body, bar)
    } else {
        let opened = tokio::fs::File::open(file)
            .await
            .map_err(|e| CliError::Other(format!("cannot read {}: {e}", file.display())))?;
        let len = opened
            .metadata()
            .await
            .map_err(|e| CliError::Other(format!("cannot read {}: {e}", file.display())))?
            .len();
        headers.push(("content-length", len.to_string()));
        let bar = bar(Some(len), quiet);
        bar.set_message("uploading");
        let body = BodyExt::boxed(StreamBody::new(frames(opened, bar.clone())));
        (body, bar)
    };
    let waiting = bar(None, quiet);
    waiting.set_message("encoding and dispersing");
    waiting.enable_steady_tick(std::time::Duration::from_millis(120));
    let path = format!("/v1/datanets/{datanet}/contributions");
    let result = client.send(Method::POST, &path, &headers, body).await;
    // The bar ends by itself at the end of the input, but the daemon may answer before that.
    progress.finish_and_clear();
    waiting.finish_and_clear();
    read_json(result?).await
}

/// Downloads contribution `id` into `out` (stdout when `None`), checking the bytes against
/// the manifest's length and payload hash; a file is written beside its name and renamed
/// into place only once it checks out.
pub(crate) async fn download(
    client: &Client,
    id: &str,
    out: Option<&Path>,
    quiet: bool,
) -> Result<ContributionView, CliError> {
    let view: ContributionView = client.get(&format!("/v1/contributions/{id}")).await?;
    let response = client
        .send(
            Method::GET,
            &format!("/v1/contributions/{id}/data"),
            &[],
            super::client::empty(),
        )
        .await?;
    let bar = bar(Some(view.payload_len), quiet || out.is_none());
    bar.set_message("downloading");
    let partial: Option<PathBuf> = out.map(|o| {
        let mut name = o.as_os_str().to_owned();
        name.push(".part");
        PathBuf::from(name)
    });
    let mut sink: Box<dyn tokio::io::AsyncWrite + Unpin + Send> = match &partial {
        Some(path) => Box::new(
            tokio::fs::File::create(path)
                .await
                .map_err(|e| CliError::Other(format!("cannot write {}: {e}", path.display())))?,
        ),
        None => Box::new(tokio::io::stdout()),
    };
    let mut hasher = Hasher::new(Domain::Payload);
    let mut received = 0u64;
    let mut body = response.into_body().into_data_stream();
    let outcome: Result<(), CliError> = async {
        while let Some(frame) = body.next().await {
            let bytes = frame.map_err(|e| {
                CliError::Other(format!("the download was cut off after {received} bytes: {e}"))
            })?;
            hasher.update(&bytes);
            received += bytes.len() as u64;
            bar.inc(bytes.len() as u64);
            sink.write_all(&bytes)
                .await
                .map_err(|e| output::write_error(e, "the payload"))?;
        }
        sink.flush()
            .await
            .map_err(|e| output::write_error(e, "the payload"))?;
        if received != view.payload_len || hasher.finalize().to_hex() != view.payload_hash {
            return Err(CliError::Other(format!(
                "the payload received ({received} bytes) does not match the manifest ({} bytes, hash {})",
                view.payload_len, view.payload_hash
            )));
        }
        Ok(())
    }
    .await;
    bar.finish_and_clear();
    drop(sink);
    match (outcome, partial, out) {
        (Ok(()), Some(partial), Some(out)) => {
            std::fs::rename(&partial, out).map_err(|e| {
                CliError::Other(format!("cannot move the payload to {}: {e}", out.display()))
            })?;
            Ok(view)
        }
        (Ok(()), _, _) => Ok(view),
        (Err(e), partial, _) => {
            if let Some(partial) = partial {
                let _ = std::fs::remove_file(partial);
            }
            Err(e)
        }
    }
}
