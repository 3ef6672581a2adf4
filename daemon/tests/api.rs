//! The local API against a real node over its Unix socket, with raw HTTP so that malformed
//! requests can be sent: every bad input gets its status and JSON error, changes nothing,
//! and leaves the daemon answering.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use common::{first_da_root, open_datanet, payload, start, start_configured, TestNode, WAIT};
use datanet_daemon::api::{self, Api, ApiConfig};
use datanet_daemon::{AttributionSettings, Node};
use datanet_net::test_utils::{connect_and_wait, TestNode as NetNode};
use datanet_net::Role;
use datanet_protocol::signed::{ModelRecord, TrainedOn};
use datanet_protocol::test_utils::sample_model;
use datanet_protocol::wire::Request;
use datanet_protocol::{DatanetId, Hash, SecretKey};
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio_util::sync::CancellationToken;

struct Daemon {
    node: Arc<Node>,
    socket: PathBuf,
    staging: PathBuf,
    cancel: CancellationToken,
    api: Option<Api>,
    _home: TempDir,
}

impl Daemon {
    async fn start(timeout: Duration, uploads: usize, tcp_token: Option<&str>) -> Daemon {
        Self::serve(start().await, timeout, uploads, tcp_token).await
    }

    /// Serves the API of `node` on a socket in its home.
    async fn serve(
        node: TestNode,
        timeout: Duration,
        uploads: usize,
        tcp_token: Option<&str>,
    ) -> Daemon {
        let TestNode { node, home } = node;
        let node = Arc::new(node);
        let socket = home.path().join("datanet.sock");
        let staging = home.path().join("uploads");
        let cancel = CancellationToken::new();
        let api = api::serve(
            Arc::clone(&node),
            ApiConfig {
                socket: socket.clone(),
                tcp: tcp_token.map(|t| ("127.0.0.1:0".parse().unwrap(), t.to_owned())),
                max_concurrent_uploads: uploads,
                request_timeout: timeout,
                staging: staging.clone(),
            },
            cancel.clone(),
        )
        .await
        .unwrap();
        Daemon {
            node,
            socket,
            staging,
            cancel,
            api: Some(api),
            _home: home,
        }
    }

    async fn stop(mut self) {
        self.cancel.cancel();
        self.api.take().unwrap().stopped().await;
        assert!(!self.socket.exists(), "the socket file is removed on stop");
    }

    async fn contributions(&self) -> usize {
        self.node
            .store()
            .run(|s| s.contributions())
            .await
            .unwrap()
            .len()
    }

    async fn create_datanet(&self, max_bytes: u64) -> String {
        let body = format!(r#"{{"name":"t","policy":{{"max_contribution_bytes":{max_bytes}}}}}"#);
        let (status, json) = self.json("POST", "/v1/datanets", body.as_bytes()).await;
        assert_eq!(status, 201, "{json}");
        json["id"].as_str().unwrap().to_owned()
    }

    async fn json(&self, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
        let (status, _, body) = request(&self.socket, method, path, &[], body).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    async fn assert_alive(&self) {
        let (status, json) = self.json("GET", "/v1/status", b"").await;
        assert_eq!(status, 200, "{json}");
        assert_eq!(json["peer_id"], self.node.peer_id().to_string());
    }

    fn staged_files(&self) -> usize {
        std::fs::read_dir(&self.staging)
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

/// Sends one request and reads the whole response: status, headers, body.
async fn request(
    socket: &Path,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let mut stream = UnixStream::connect(socket).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: datanet\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    // The daemon may answer (413, say) and close before it has read the whole body.
    let _ = stream.write_all(body).await;
    read_response(&mut stream).await
}

/// Reads until the daemon closes the connection (a reset after a refused body included).
async fn read_response(stream: &mut UnixStream) -> (u16, String, Vec<u8>) {
    let mut raw = Vec::new();
    let read = async {
        let mut buffer = vec![0u8; 1 << 16];
        while let Ok(n @ 1..) = stream.read(&mut buffer).await {
            raw.extend_from_slice(&buffer[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("response in time");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> (u16, String, Vec<u8>) {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, head, body)
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..line_end]).unwrap(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[line_end + 2..line_end + 2 + size]);
        raw = &raw[line_end + 2 + size + 2..];
    }
}

fn error_code(json: &Value) -> &str {
    json["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contribution_round_trips_through_the_socket_with_ranges_events_and_metrics() {
    let daemon = Daemon::start(Duration::from_secs(30), 2, None).await;
    let datanet = daemon.create_datanet(1 << 30).await;
    let (status, listed) = daemon.json("GET", "/v1/datanets", b"").await;
    assert_eq!(status, 200);
    assert_eq!(listed[0]["id"], datanet.as_str());

    let mut events = UnixStream::connect(&daemon.socket).await.unwrap();
    events
        .write_all(b"GET /v1/events HTTP/1.1\r\nhost: datanet\r\n\r\n")
        .await
        .unwrap();

    let data = payload(9 << 20);
    let path = format!("/v1/datanets/{datanet}/contributions");
    let (status, _, body) = request(
        &daemon.socket,
        "POST",
        &path,
        &[("content-type", "text/plain")],
        &data,
    )
    .await;
    let view: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 201, "{view}");
    assert_eq!(view["payload_len"], data.len() as u64);
    assert_eq!(view["chunks"].as_array().unwrap().len(), 2);
    assert_eq!(view["media_type"], "text/plain");
    assert_eq!(view["status"], "stored");
    assert_eq!(daemon.staged_files(), 0, "the staged upload is removed");
    let id = view["id"].as_str().unwrap().to_owned();

    let (status, head, body) = request(
        &daemon.socket,
        "GET",
        &format!("/v1/contributions/{id}/data"),
        &[],
        b"",
    )
    .await;
    assert_eq!(status, 200);
    assert!(head
        .to_ascii_lowercase()
        .contains("content-type: text/plain"));
    assert!(body == data, "the payload comes back bit-exact");

    let start = (8 << 20) - 10;
    let (status, head, body) = request(
        &daemon.socket,
        "GET",
        &format!("/v1/contributions/{id}/data"),
        &[("range", &format!("bytes={start}-{}", start + 99))],
        b"",
    )
    .await;
    assert_eq!(status, 206, "{head}");
    assert!(head.contains(&format!("bytes {start}-{}/{}", start + 99, data.len())));
    assert_eq!(body, &data[start..start + 100], "a range across two chunks");

    let (status, _, _) = request(
        &daemon.socket,
        "GET",
        &format!("/v1/contributions/{id}/data"),
        &[("range", "bytes=999999999-")],
        b"",
    )
    .await;
    assert_eq!(status, 416);

    let (status, shown) = daemon
        .json("GET", &format!("/v1/contributions/{id}"), b"")
        .await;
    assert_eq!(status, 200);
    assert_eq!(shown["payload_hash"], view["payload_hash"]);

    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&seen).contains(r#""stage":"dispersed""#) {
        let mut buffer = [0u8; 4096];
        let n = tokio::time::timeout_at(deadline, events.read(&mut buffer))
            .await
            .expect("upload progress arrives as server-sent events")
            .unwrap();
        seen.extend_from_slice(&buffer[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).contains(r#""type":"upload""#));

    let pass = daemon.node.repair().await.unwrap();
    assert!(pass.owed > 0, "alone, the node custodies every column");
    let (status, shown) = daemon.json("GET", "/v1/status", b"").await;
    assert_eq!(status, 200);
    assert_eq!(shown["columns"]["owed"], pass.owed);
    assert_eq!(shown["columns"]["missing"], 0);
    assert_eq!(
        shown["columns"]["under_replicated"], pass.owed,
        "one custodian of the 2 each column should have"
    );

    let (status, _, metrics) = request(&daemon.socket, "GET", "/metrics", &[], b"").await;
    assert_eq!(status, 200);
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(metrics.contains("datanet_uploads_total 1"), "{metrics}");
    assert!(metrics.contains(&format!("datanet_columns_owed {}", pass.owed)));
    assert!(metrics.contains(&format!("datanet_columns_under_replicated {}", pass.owed)));
    assert!(metrics.contains("datanet_columns_repaired_total 0"));
    assert!(metrics.contains(&format!("datanet_upload_bytes_total {}", data.len())));
    assert!(metrics.contains("datanet_contributions 1"));
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_json_errors_and_change_nothing() {
    let daemon = Daemon::start(Duration::from_secs(30), 2, None).await;
    let datanet = daemon.create_datanet(1000).await;

    let (status, json) = daemon.json("POST", "/v1/datanets", b"{not json").await;
    assert_eq!((status, error_code(&json)), (400, "invalid_json"));
    let (status, json) = daemon
        .json("POST", "/v1/datanets", br#"{"name":"x","colour":"blue"}"#)
        .await;
    assert_eq!(
        (status, error_code(&json)),
        (400, "invalid_json"),
        "unknown fields are refused"
    );
    let (status, json) = daemon.json("POST", "/v1/datanets", br#"{"name":""}"#).await;
    assert_eq!((status, error_code(&json)), (400, "bad_request"), "{json}");

    let unknown = "00".repeat(32);
    let (status, json) = daemon
        .json(
            "POST",
            &format!("/v1/datanets/{unknown}/contributions"),
            b"data",
        )
        .await;
    assert_eq!((status, error_code(&json)), (404, "not_found"));
    let (status, json) = daemon
        .json("GET", &format!("/v1/datanets/{unknown}"), b"")
        .await;
    assert_eq!((status, error_code(&json)), (404, "not_found"));
    for path in [
        "/v1/datanets/xyz".to_owned(),
        "/v1/contributions/12ab".to_owned(),
        format!("/v1/contributions/{}/data", "g".repeat(64)),
    ] {
        let (status, json) = daemon.json("GET", &path, b"").await;
        assert_eq!((status, error_code(&json)), (400, "bad_request"), "{path}");
        assert!(json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a valid"));
    }
    let (status, json) = daemon
        .json(
            "POST",
            &format!("/v1/datanets/{datanet}/contributions"),
            b"",
        )
        .await;
    assert_eq!(
        (status, error_code(&json)),
        (400, "bad_request"),
        "an empty payload"
    );
    let (status, json) = daemon.json("GET", "/v1/nothing", b"").await;
    assert_eq!((status, error_code(&json)), (404, "not_found"));
    let (status, json) = daemon
        .json(
            "POST",
            &format!("/v1/contributions/{unknown}/verify"),
            br#"{"confidence":2}"#,
        )
        .await;
    assert_eq!((status, error_code(&json)), (400, "bad_request"));

    let path = format!("/v1/datanets/{datanet}/contributions");
    let (status, json) = daemon.json("POST", &path, &payload(1001)).await;
    assert_eq!((status, error_code(&json)), (413, "payload_too_large"));
    let mut stream = UnixStream::connect(&daemon.socket).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: datanet\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut body = Vec::new();
    for _ in 0..3 {
        body.extend_from_slice(b"200\r\n");
        body.extend_from_slice(&payload(0x200));
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    // The daemon may answer and close as soon as the body passes the limit, before it is all
    // written; the answer is what this checks.
    let _ = stream.write_all(&body).await;
    let (status, _, body) = read_response(&mut stream).await;
    let json: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, error_code(&json)),
        (413, "payload_too_large"),
        "a chunked body over the limit"
    );

    for garbage in [
        &b"\x00\xff\x13garbage\r\n\r\n"[..],
        b"GET / HTTP/9.9\r\n\r\n",
        &[0xAB; 70_000],
    ] {
        let mut stream = UnixStream::connect(&daemon.socket).await.unwrap();
        let _ = stream.write_all(garbage).await;
        let mut raw = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut raw)).await;
        if !raw.is_empty() {
            assert!(
                raw.starts_with(b"HTTP/1.1 4"),
                "{:?}",
                String::from_utf8_lossy(&raw)
            );
        }
    }

    assert_eq!(daemon.contributions().await, 0, "nothing was stored");
    assert_eq!(daemon.staged_files(), 0, "no staged upload was left behind");
    daemon.assert_alive().await;
    daemon.stop().await;
}

/// A model record naming epoch 3 of a datanet this node has never seen anchored.
fn unanchored_model() -> ModelRecord {
    let version = TrainedOn {
        datanet: DatanetId(Hash([1; 32])),
        epoch: 3,
        batch_root: Hash([2; 32]),
    };
    sample_model(&SecretKey::generate(), version)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_attribution_queries_and_model_registrations_get_clear_4xx_errors() {
    let shards = tempfile::tempdir().unwrap();
    let folder = shards.path().to_path_buf();
    let node = start_configured(Duration::from_secs(3600), move |c| {
        c.attribution = Some(AttributionSettings {
            folder,
            min_span: 32,
            max_output_bytes: 64 * 1024,
        });
    })
    .await;
    let daemon = Daemon::serve(node, Duration::from_secs(30), 1, None).await;
    let model = unanchored_model();
    let stored = model.clone();
    daemon
        .node
        .store()
        .run(move |s| s.put_model(&stored))
        .await
        .unwrap();
    let path = format!("/v1/attribute?model={}", model.id());
    let quoted = "an output long enough to hold a span of thirty-two bytes".as_bytes();
    let unknown = format!("/v1/attribute?model={}", "ab".repeat(32));
    let huge = vec![b'a'; 100 << 20];
    let cases: Vec<(&str, &[u8], u16, &str)> = vec![
        (&path, b"", 400, "empty"),
        (&path, b"not \xff UTF-8", 400, "not UTF-8"),
        (&path, &huge, 413, "at most 65536 bytes"),
        (&path, quoted, 409, "not seen anchored"),
        (&unknown, quoted, 404, "unknown"),
        (
            "/v1/attribute?model=nonsense",
            quoted,
            400,
            "not a valid model id",
        ),
        ("/v1/attribute", quoted, 400, "model"),
    ];
    for (at, body, status, says) in cases {
        let (got, json) = daemon.json("POST", at, body).await;
        let message = json["error"]["message"].as_str().unwrap_or_default();
        assert_eq!(got, status, "{at} with {} bytes: {json}", body.len());
        assert!(
            message.contains(says),
            "{at}: {message:?} should say {says:?}"
        );
    }
    let registrations: Vec<(String, u16, &str)> = vec![
        (
            format!(
                r#"{{"name":"m","base_model":"b","versions":["{}"]}}"#,
                "cd".repeat(32)
            ),
            400,
            "no anchored epoch",
        ),
        (
            format!(
                r#"{{"name":"m","base_model":"b","versions":["{}:x"]}}"#,
                "cd".repeat(32)
            ),
            400,
            "is not an epoch",
        ),
        (
            r#"{"name":"m","base_model":"b","versions":[]}"#.into(),
            400,
            "1..=64",
        ),
        (r#"{"name":"m"}"#.into(), 400, "invalid_json"),
    ];
    for (body, status, says) in registrations {
        let (got, json) = daemon.json("POST", "/v1/models", body.as_bytes()).await;
        assert_eq!(got, status, "{body}: {json}");
        assert!(
            json.to_string().contains(says),
            "{body}: {json} should say {says:?}"
        );
    }
    let (status, json) = daemon.json("GET", "/v1/models", b"").await;
    assert_eq!(status, 200);
    assert_eq!(
        json.as_array().map(Vec::len),
        Some(1),
        "refused registrations stored nothing: {json}"
    );
    daemon.assert_alive().await;
    daemon.stop().await;

    let plain = Daemon::start(Duration::from_secs(30), 1, None).await;
    let (status, json) = plain.json("POST", &path, quoted).await;
    assert_eq!(status, 400, "{json}");
    assert!(
        json.to_string().contains("attribution is not enabled"),
        "{json}"
    );
    plain.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewards_need_a_chain_and_a_chain_that_is_down_is_a_503() {
    let datanet = "cd".repeat(32);
    let path = format!("/v1/datanets/{datanet}/rewards");
    let down = start_configured(Duration::from_secs(3600), |c| {
        c.chain = Some(datanet_chain::ChainParams {
            rpc_url: "http://127.0.0.1:1".into(),
            chain_id: 31337,
            hub: datanet_chain::Address::ZERO,
            confirmations: 1,
        });
    })
    .await;
    let daemon = Daemon::serve(down, Duration::from_secs(30), 1, None).await;
    let (status, json) = daemon.json("GET", &path, b"").await;
    assert_eq!(
        (status, error_code(&json)),
        (503, "chain_unavailable"),
        "{json}"
    );
    let (status, json) = daemon.json("POST", "/v1/rewards/payee", b"").await;
    assert_eq!(
        (status, error_code(&json)),
        (503, "chain_unavailable"),
        "{json}"
    );
    let (status, json) = daemon.json("POST", &path, br#"{"amount":"ten"}"#).await;
    assert_eq!(status, 400, "an amount that is not OPEN: {json}");
    daemon.assert_alive().await;
    daemon.stop().await;

    let plain = Daemon::start(Duration::from_secs(30), 1, None).await;
    let (status, json) = plain.json("GET", &path, b"").await;
    assert_eq!((status, error_code(&json)), (409, "not_anchored"), "{json}");
    assert!(json.to_string().contains("no [chain]"), "{json}");
    plain.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_cut_off_and_excess_uploads_store_nothing() {
    let daemon = Daemon::start(Duration::from_secs(2), 1, None).await;
    let datanet = daemon.create_datanet(1 << 30).await;
    let path = format!("/v1/datanets/{datanet}/contributions");
    let head = format!("POST {path} HTTP/1.1\r\nhost: datanet\r\ncontent-length: 100000\r\n\r\n");

    let mut stalled = UnixStream::connect(&daemon.socket).await.unwrap();
    stalled.write_all(head.as_bytes()).await.unwrap();
    stalled.write_all(&payload(5000)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, json) = daemon.json("POST", &path, &payload(10)).await;
    assert_eq!(
        (status, error_code(&json)),
        (503, "busy"),
        "one upload at a time: {json}"
    );
    assert!(json["error"]["message"].as_str().unwrap().contains("retry"));
    let (status, _, body) = read_response(&mut stalled).await;
    let json: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, error_code(&json)),
        (408, "timeout"),
        "a stalled upload is cut off"
    );

    let mut cut = UnixStream::connect(&daemon.socket).await.unwrap();
    cut.write_all(head.as_bytes()).await.unwrap();
    cut.write_all(&payload(50_000)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(cut);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (status, json) = daemon.json("POST", &path, &payload(10)).await;
    assert_eq!(status, 201, "the upload slot is free again: {json}");
    assert_eq!(
        daemon.contributions().await,
        1,
        "only the complete upload was stored"
    );
    assert_eq!(daemon.staged_files(), 0, "no staged upload was left behind");
    daemon.assert_alive().await;
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tcp_listener_requires_the_bearer_token() {
    let daemon = Daemon::start(Duration::from_secs(30), 1, Some("s3cret")).await;
    let addr = daemon.api.as_ref().unwrap().tcp_addr().unwrap();
    assert!(addr.ip().is_loopback());
    for (auth, want) in [
        (None, 401),
        (Some("Bearer wrong"), 401),
        (Some("Bearer s3cret"), 200),
    ] {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut head =
            "GET /v1/status HTTP/1.1\r\nhost: datanet\r\nconnection: close\r\n".to_owned();
        if let Some(auth) = auth {
            head.push_str(&format!("authorization: {auth}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let (status, _, body) = parse_response(&raw);
        assert_eq!(status, want, "{auth:?}");
        if want == 401 {
            let json: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(error_code(&json), "unauthorized");
        }
    }
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_daemon_cannot_take_a_live_socket() {
    let daemon = Daemon::start(Duration::from_secs(30), 1, None).await;
    let TestNode { node: other, home } = start().await;
    let err = api::serve(
        Arc::new(other),
        ApiConfig {
            socket: daemon.socket.clone(),
            tcp: None,
            max_concurrent_uploads: 1,
            request_timeout: Duration::from_secs(5),
            staging: home.path().join("uploads"),
        },
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("already listening"), "{err}");
    daemon.assert_alive().await;
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_an_event_stream_open_and_a_repair_waiting_on_silent_peers_stops_within_seconds(
) {
    let node = start_configured(Duration::from_millis(200), |_| {}).await;
    let datanet = open_datanet(&node.node, "shutdown").await;
    let report = node
        .node
        .contribute(datanet, payload(300_000), "application/octet-stream")
        .await
        .unwrap();
    let store = node.node.store().blocking().clone();
    let root = first_da_root(&node.node, report.contribution);
    let mut silent = Vec::new();
    for _ in 0..2 {
        let mut peer = NetNode::start(Role::Storage).unwrap();
        let requests = peer.inbound.take().unwrap();
        connect_and_wait(node.node.network(), &peer.handle)
            .await
            .unwrap();
        silent.push((peer, requests));
    }
    for c in store.column_indices(&root).unwrap() {
        store.drop_column(&root, c).unwrap();
    }
    let daemon = Daemon::serve(node, Duration::from_secs(30), 1, None).await;
    let mut events = UnixStream::connect(&daemon.socket).await.unwrap();
    events
        .write_all(b"GET /v1/events HTTP/1.1\r\nHost: datanet\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 12];
    events.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let (first, second) = silent.split_at_mut(1);
    let mut held = Vec::new();
    tokio::time::timeout(WAIT, async {
        loop {
            let asked = tokio::select! {
                r = first[0].1.recv() => r,
                r = second[0].1.recv() => r,
            }
            .expect("the silent peers are still up");
            let repairing = matches!(
                asked.request,
                Request::GetColumnHalves { da_root, .. } if da_root == root
            );
            held.push(asked);
            if repairing {
                break;
            }
        }
    })
    .await
    .expect("repair asks a silent peer for columns");

    let node = Arc::clone(&daemon.node);
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), async {
        daemon.stop().await;
        node.shutdown().await;
    })
    .await
    .expect("the API and the node stop within 5 s");
    assert!(node.is_stopped(), "every task of the node has ended");
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(1), events.read_to_end(&mut rest))
        .await
        .expect("the event stream ends with the API")
        .unwrap();
    node.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(6));
    for (peer, _) in silent {
        peer.stop().await;
    }
}
