//! Fuzzes the wire `Response` decoder, which every inbound request-response frame passes through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    datanet_protocol_fuzz::decode_is_canonical::<datanet_protocol::wire::Response>(data);
});
