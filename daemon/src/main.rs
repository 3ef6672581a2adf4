//! The `datanet` command: see `datanet --help` and docs/operator.md.

fn main() -> std::process::ExitCode {
    datanet_daemon::cli::main()
}
