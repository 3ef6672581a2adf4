//! End-to-end network benchmarks on loopback, with the comparisons they are judged against:
//!
//! - dispersal of a payload (default 256 MiB) from one node to a 4-node network: MiB/s of
//!   original data, and bytes on the wire (loopback counters) per byte stored by the other
//!   nodes;
//! - a plain transfer of the same bytes over one TCP stream between two processes, and over
//!   one iroh QUIC stream (`daemon/iroh-transfer`, run when it has been built: it is outside
//!   the workspace so that CI does not build iroh);
//! - retrieval of the payload by reconstruction at a fifth node that holds nothing;
//! - sampling one 8 MiB chunk to 99.99% confidence: latency and bytes on the wire.
//!
//! `cargo run --release -p datanet-daemon --example netbench -- [MIB]`
//!
//! Nodes dial each other's QUIC address; `NETBENCH_TRANSPORT=tcp` makes them use TCP (noise,
//! yamux) instead, to compare the two transports.

use std::error::Error;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Instant;

use datanet_daemon::{Node, NodeConfig, NodeKeys};
use datanet_protocol::sampling::samples_needed;
use datanet_protocol::signed::{Policy, MAX_CONTRIBUTION_BYTES};
use datanet_storage::Store;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const MIB: f64 = 1024.0 * 1024.0;

/// Bytes sent on the loopback interface so far (each loopback packet is counted once).
fn loopback_bytes() -> Result<u64> {
    let dev = std::fs::read_to_string("/proc/net/dev")?;
    let line = dev
        .lines()
        .find(|l| l.trim_start().starts_with("lo:"))
        .ok_or("no loopback interface in /proc/net/dev")?;
    let fields: Vec<&str> = line
        .split(':')
        .nth(1)
        .ok_or("bad line")?
        .split_whitespace()
        .collect();
    Ok(fields.get(8).ok_or("bad line")?.parse()?)
}

/// CPU time this process has used so far (user and system, every thread), in seconds: all
/// the nodes share the machine's cores, so this is what a phase cost them together.
fn cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `getrusage` fills the struct it is given; a zeroed `rusage` is a valid value.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

async fn node(dir: &tempfile::TempDir, name: &str) -> Result<Node> {
    let home = dir.path().join(name);
    let store = Store::open(&home.join("store"))?;
    Ok(Node::start(NodeConfig::local(), NodeKeys::generate(), store).await?)
}

async fn connect(a: &Node, b: &Node) -> Result<()> {
    let want = std::env::var("NETBENCH_TRANSPORT").unwrap_or_else(|_| "quic".into());
    let address = b
        .listen_addrs()
        .await?
        .into_iter()
        .find(|a| a.to_string().contains(&want))
        .ok_or("no address")?;
    a.dial(address).await?;
    while !(a.network().storage_peers().await?.contains(&b.peer_id())
        && b.network().storage_peers().await?.contains(&a.peer_id()))
    {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    Ok(())
}

/// Receives one TCP stream to its end: the other process of the plain-transfer comparison.
fn tcp_sink() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    println!("{}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    let (mut stream, _) = listener.accept()?;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    stream.write_all(&total.to_be_bytes())?;
    Ok(())
}

fn plain_tcp(bytes: &[u8]) -> Result<f64> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg("tcp-sink")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut port = String::new();
    let mut out = child.stdout.take().ok_or("no stdout")?;
    let mut byte = [0u8; 1];
    while out.read(&mut byte)? == 1 && byte[0] != b'\n' {
        port.push(byte[0] as char);
    }
    let mut stream = TcpStream::connect(("127.0.0.1", port.trim().parse::<u16>()?))?;
    let start = Instant::now();
    stream.write_all(bytes)?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut echoed = [0u8; 8];
    stream.read_exact(&mut echoed)?;
    let elapsed = start.elapsed().as_secs_f64();
    child.wait()?;
    if u64::from_be_bytes(echoed) != bytes.len() as u64 {
        return Err("the sink received a different length".into());
    }
    Ok(elapsed)
}

/// Where `daemon/iroh-transfer` puts its release binary.
const IROH_TRANSFER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/iroh-transfer/target/release/iroh-transfer"
);

/// Sends `bytes`, written to a file in `dir`, over one iroh QUIC stream between two endpoints
/// (two threads of another process) and returns what it reports; `None` when
/// `daemon/iroh-transfer` has not been built.
fn iroh_stream(dir: &std::path::Path, bytes: &[u8]) -> Result<Option<String>> {
    if !std::path::Path::new(IROH_TRANSFER).exists() {
        return Ok(None);
    }
    let file = dir.join("iroh-payload");
    std::fs::write(&file, bytes)?;
    let out = Command::new(IROH_TRANSFER).arg(&file).output()?;
    std::fs::remove_file(&file)?;
    if !out.status.success() {
        return Err(format!(
            "iroh-transfer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(Some(String::from_utf8_lossy(&out.stdout).trim().to_owned()))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("tcp-sink") {
        return tcp_sink();
    }
    let mib: usize = first.map(|a| a.parse()).transpose()?.unwrap_or(256);
    let data = payload(mib << 20, 7);
    let dir = tempfile::tempdir()?;

    let mut nodes = Vec::new();
    for i in 0..4 {
        let n = node(&dir, &format!("node{i}")).await?;
        for other in &nodes {
            connect(&n, other).await?;
        }
        nodes.push(n);
    }
    let policy = Policy {
        max_contribution_bytes: MAX_CONTRIBUTION_BYTES,
        ..Policy::default()
    };
    let datanet = nodes[0]
        .create_datanet("netbench", "network benchmark", policy, None)
        .await?
        .id();

    let wire_before = loopback_bytes()?;
    let cpu_before = cpu_seconds();
    let start = Instant::now();
    let report = nodes[0]
        .contribute(datanet, data.clone(), "application/octet-stream")
        .await?;
    let disperse = start.elapsed().as_secs_f64();
    let disperse_cpu = cpu_seconds() - cpu_before;
    let wire = loopback_bytes()? - wire_before;
    if !report.complete() {
        return Err(format!(
            "{} columns short of custodians: {:?}",
            report.short.len(),
            &report.short[..3]
        )
        .into());
    }
    let manifest = nodes[0]
        .store()
        .blocking()
        .manifest(&report.contribution)?
        .ok_or("manifest missing")?;
    let mut stored_remote = 0u64;
    for n in &nodes[1..] {
        for chunk in &manifest.body().chunks {
            let held = n.store().blocking().column_indices(&chunk.da_root)?.len() as u64;
            stored_remote += held * u64::from(chunk.k) * 512;
        }
    }
    println!(
        "dispersal: {mib} MiB to 4 nodes in {disperse:.3} s = {:.1} MiB/s of original data",
        mib as f64 / disperse
    );
    println!(
        "  CPU {disperse_cpu:.2} s ({:.2} cores busy), {:.1} ms per MiB",
        disperse_cpu / disperse,
        disperse_cpu * 1000.0 / mib as f64
    );
    println!(
        "  wire {:.1} MiB, stored by the other nodes {:.1} MiB: {:.3} bytes on the wire per byte stored, {:.3} per original byte",
        wire as f64 / MIB,
        stored_remote as f64 / MIB,
        wire as f64 / stored_remote as f64,
        wire as f64 / data.len() as f64
    );

    let reader = node(&dir, "reader").await?;
    for n in &nodes {
        connect(&reader, n).await?;
    }
    let cpu_before = cpu_seconds();
    let start = Instant::now();
    let fetched = reader.get(report.contribution).await?;
    let get = start.elapsed().as_secs_f64();
    let get_cpu = cpu_seconds() - cpu_before;
    if fetched != data {
        return Err("retrieved bytes differ".into());
    }
    println!(
        "retrieval by reconstruction at a fifth node: {mib} MiB in {get:.3} s = {:.1} MiB/s",
        mib as f64 / get
    );
    println!(
        "  CPU {get_cpu:.2} s ({:.2} cores busy), {:.1} ms per MiB",
        get_cpu / get,
        get_cpu * 1000.0 / mib as f64
    );

    let one_chunk = nodes[1]
        .contribute(datanet, payload(8 << 20, 11), "application/octet-stream")
        .await?;
    reader.sample(one_chunk.contribution, 1).await?;
    let samples = samples_needed(128, 0.9999) as usize;
    let wire_before = loopback_bytes()?;
    let start = Instant::now();
    let sampled = reader.sample(one_chunk.contribution, samples).await?;
    let latency = start.elapsed().as_secs_f64();
    let wire = loopback_bytes()? - wire_before;
    let report = sampled.first().ok_or("no chunk")?;
    println!(
        "sampling one 8 MiB chunk: {} samples, confidence {:.6}, {:.1} ms, {:.1} KiB on the wire",
        report.verified,
        report.confidence,
        latency * 1000.0,
        wire as f64 / 1024.0
    );
    for n in nodes {
        n.shutdown().await;
    }
    reader.shutdown().await;

    let tcp = plain_tcp(&data)?;
    println!(
        "plain TCP stream between two processes: {mib} MiB in {tcp:.3} s = {:.1} MiB/s",
        mib as f64 / tcp
    );
    match iroh_stream(dir.path(), &data)? {
        Some(line) => println!("{line}"),
        None => println!(
            "iroh QUIC stream: not run; build it with `cargo build --release --manifest-path daemon/iroh-transfer/Cargo.toml`"
        ),
    }
    Ok(())
}
