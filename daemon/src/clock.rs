//! Wall-clock time as the signed objects record it.

pub(crate) use datanet_net::now_ms;
