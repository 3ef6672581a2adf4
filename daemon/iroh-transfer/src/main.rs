//! Sends N MiB (default 256) over one iroh QUIC stream between two endpoints bound to
//! 127.0.0.1, with relays, address lookup and port mapping off, and prints the throughput:
//! the iroh figure beside datanet's dispersal and a plain TCP stream in docs/benchmarks.md.
//!
//! `cargo run --release --manifest-path daemon/iroh-transfer/Cargo.toml -- 256`

use std::error::Error;
use std::time::Instant;

use iroh::endpoint::{presets, Builder};
use iroh::Endpoint;

const ALPN: &[u8] = b"datanet-bench/transfer/1";

async fn endpoint() -> Result<Endpoint, Box<dyn Error>> {
    Ok(Builder::new(presets::Minimal)
        .clear_ip_transports()
        .bind_addr("127.0.0.1:0")?
        .portmapper_config(iroh::endpoint::PortmapperConfig::Disabled)
        .alpns(vec![ALPN.to_vec()])
        .bind()
        .await?)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn Error>> {
    let mib: usize = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(256);
    let data: Vec<u8> = (0..mib << 20).map(|i| (i as u64).wrapping_mul(2_654_435_761) as u8).collect();
    let receiver = endpoint().await?;
    let sender = endpoint().await?;
    let address = receiver.addr();

    let receiving = tokio::spawn(async move {
        let incoming = receiver.accept().await.ok_or("no connection")?;
        let connection = incoming.await?;
        let mut stream = connection.accept_uni().await?;
        let mut total = 0usize;
        let mut buf = vec![0u8; 1 << 20];
        while let Some(n) = stream.read(&mut buf).await? {
            total += n;
        }
        connection.close(0u32.into(), b"done");
        Ok::<usize, Box<dyn Error + Send + Sync>>(total)
    });

    let connection = sender.connect(address, ALPN).await?;
    let start = Instant::now();
    let mut stream = connection.open_uni().await?;
    for block in data.chunks(1 << 20) {
        stream.write_all(block).await?;
    }
    stream.finish()?;
    let total = receiving.await?.map_err(|e| e.to_string())?;
    let elapsed = start.elapsed().as_secs_f64();
    if total != data.len() {
        return Err(format!("received {total} of {} bytes", data.len()).into());
    }
    println!("iroh QUIC stream on loopback: {mib} MiB in {elapsed:.3} s = {:.1} MiB/s", mib as f64 / elapsed);
    Ok(())
}
