//! Fuzzes the `Datanet` decoder.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    datanet_protocol_fuzz::decode_is_canonical::<datanet_protocol::Datanet>(data);
});
