//! The TLS configurations libp2p's QUIC transport is built with (the patched `libp2p-tls` in
//! `network/libp2p-tls`) negotiate AES-GCM between two nodes on a CPU with AES instructions,
//! and ChaCha20-Poly1305 on one without: the cipher is the largest single cost of moving
//! columns over QUIC.

use std::error::Error;
use std::sync::Arc;

use libp2p::identity::Keypair;
use rustls::pki_types::ServerName;
use rustls::{CipherSuite, ClientConnection, Connection, ServerConnection};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Moves every TLS record `from` has to send into `to`, and lets `to` process them.
fn deliver(from: &mut Connection, to: &mut Connection) -> Result<()> {
    let mut records = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut records)?;
    }
    let mut records = records.as_slice();
    while !records.is_empty() {
        to.read_tls(&mut records)?;
        to.process_new_packets()?;
    }
    Ok(())
}

/// The suite a client and a server made by libp2p-tls for two fresh identities agree on.
fn negotiated_suite() -> Result<CipherSuite> {
    let client = libp2p_tls::make_client_config(&Keypair::generate_ed25519(), None)?;
    let server = libp2p_tls::make_server_config(&Keypair::generate_ed25519())?;
    let name = ServerName::try_from("l")?;
    let mut client = Connection::Client(ClientConnection::new(Arc::new(client), name)?);
    let mut server = Connection::Server(ServerConnection::new(Arc::new(server))?);
    for _ in 0..8 {
        if !client.is_handshaking() && !server.is_handshaking() {
            break;
        }
        deliver(&mut client, &mut server)?;
        deliver(&mut server, &mut client)?;
    }
    let suite = |c: &Connection| c.negotiated_cipher_suite().map(|s| s.suite());
    let (chosen, agreed) = (suite(&client), suite(&server));
    if client.is_handshaking() || server.is_handshaking() || chosen != agreed {
        return Err(format!("no agreement: client {chosen:?}, server {agreed:?}").into());
    }
    chosen.ok_or_else(|| "no suite".into())
}

#[test]
fn quic_connections_use_aes_gcm_on_aes_hardware() {
    let expected = if libp2p_tls::has_aes_hardware() {
        CipherSuite::TLS13_AES_128_GCM_SHA256
    } else {
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
    };
    assert_eq!(negotiated_suite().unwrap(), expected);
}
