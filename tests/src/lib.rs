//! `datanet-tests`: integration tests that span processes, crashes and faults. The library
//! holds what the test binaries and tests share.
