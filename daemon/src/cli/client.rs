//! The command-line side of the API: HTTP/1.1 over the daemon's Unix socket, one connection
//! per request. Error bodies become [`CliError::Api`] with the daemon's code and message,
//! also when the daemon answers an upload before reading all of it (see [`super::socket`]).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::socket::{Socket, UntilClosed};
use super::CliError;
use crate::api::ErrorBody;

/// A request body: empty, JSON, or streamed.
pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

/// A client of one daemon's socket.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    socket: PathBuf,
}

/// An empty body.
pub(crate) fn empty() -> Body {
    Full::new(Bytes::new())
        .map_err(|never| match never {})
        .boxed()
}

fn json_body<T: Serialize>(value: &T) -> Result<Body, CliError> {
    let bytes = serde_json::to_vec(value).map_err(|e| CliError::Other(e.to_string()))?;
    Ok(Full::new(Bytes::from(bytes))
        .map_err(|never| match never {})
        .boxed())
}

impl Client {
    /// A client of the daemon listening on `socket`.
    pub(crate) fn new(socket: &Path) -> Self {
        Client {
            socket: socket.to_path_buf(),
        }
    }

    /// Sends a request and returns the response if its status is a success; an error body
    /// becomes [`CliError::Api`], whether or not the daemon read all of `body` first.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Body,
    ) -> Result<Response<Incoming>, CliError> {
        let socket = Socket::connect(&self.socket)
            .await
            .map_err(|e| CliError::NoDaemon(self.socket.clone(), e.to_string()))?;
        let closed = socket.closed();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(socket))
            .await
            .map_err(|e| CliError::Other(format!("talking to the daemon: {e}")))?;
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "datanet");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(UntilClosed::new(body, closed))
            .map_err(|e| CliError::Other(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| CliError::Other(format!("the daemon did not answer: {e}")))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => CliError::Api {
                status: status.as_u16(),
                code: body.error.code,
                message: body.error.message,
            },
            Err(_) => CliError::Api {
                status: status.as_u16(),
                code: "unknown".into(),
                message: String::from_utf8_lossy(&bytes).into_owned(),
            },
        })
    }

    /// `GET path` as JSON.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CliError> {
        let response = self.send(Method::GET, path, &[], empty()).await?;
        read_json(response).await
    }

    /// `POST path` with a JSON body, answered with JSON.
    pub(crate) async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, CliError> {
        let headers = [("content-type", "application/json".to_owned())];
        let response = self
            .send(Method::POST, path, &headers, json_body(body)?)
            .await?;
        read_json(response).await
    }

    /// `POST path` with `bytes` as a body of `content_type`, answered with JSON.
    pub(crate) async fn post_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<T, CliError> {
        let headers = [("content-type", content_type.to_owned())];
        let body = Full::new(Bytes::from(bytes))
            .map_err(|never| match never {})
            .boxed();
        let response = self.send(Method::POST, path, &headers, body).await?;
        read_json(response).await
    }
}

/// A response body read whole and parsed.
pub(crate) async fn read_json<T: DeserializeOwned>(
    response: Response<Incoming>,
) -> Result<T, CliError> {
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| CliError::Other(format!("reading the daemon's answer: {e}")))?
        .to_bytes();
    serde_json::from_slice(&bytes)
        .map_err(|e| CliError::Other(format!("the daemon's answer is not what was expected: {e}")))
}
