//! The `datanet` command line: set up a home, run the daemon, and talk to a running daemon
//! through its socket. Every command that prints takes `--json`. Exit codes: 0 success,
//! 1 error, 2 bad usage, 3 `verify` found a chunk short of the target, 141 the reader of
//! standard output stopped early (`datanet get ID | head`), ended quietly as a Unix tool ends
//! on SIGPIPE.

mod attribute;
mod client;
mod commands;
mod create;
mod daemon;
mod devnet;
mod devnet_attribution;
mod devnet_chain;
mod devnet_light;
mod devnet_rewards;
pub mod home;
mod model;
mod output;
mod rewards;
mod socket;
mod transfer;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use create::CreateArgs;
pub use model::ModelAction;
pub use rewards::RewardsAction;

use crate::NodeError;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// No daemon answers on the socket.
    #[error("no daemon answers on {0} ({1}); start one with `datanet run`")]
    NoDaemon(PathBuf, String),
    /// The daemon answered with an error.
    #[error("{message} ({status} {code})")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The stable error code.
        code: String,
        /// The daemon's message.
        message: String,
    },
    /// The node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// Anything else, said plainly.
    #[error("{0}")]
    Other(String),
    /// Standard output was closed before everything was written, as when `head` has read
    /// what it wanted: the command ends quietly.
    #[error("standard output was closed")]
    OutputClosed,
}

/// The exit code when standard output was closed early: what a shell reports for a process
/// ended by SIGPIPE, so a pipeline under `set -o pipefail` sees what any Unix tool gives it.
const OUTPUT_CLOSED: u8 = 141;

/// datanet: a peer-to-peer network for community-owned AI datasets.
#[derive(Debug, Parser)]
#[command(name = "datanet", version)]
pub struct Cli {
    /// The node's home folder.
    #[arg(long, global = true, env = "DATANET_HOME")]
    pub home: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a home: node and contributor keys, API token and config. With `--validator`,
    /// also a validator key, and validation turned on (on a home made before, only the key
    /// is added).
    Init {
        /// An address to listen on (repeatable); the default is TCP and QUIC on port 4001.
        #[arg(long, value_name = "MULTIADDR")]
        listen: Vec<String>,
        /// A peer to dial at start (repeatable).
        #[arg(long, value_name = "MULTIADDR")]
        bootstrap: Vec<String>,
        /// Make a validator key (`validator.key`, mode 0600) and set `validator.enabled`.
        #[arg(long)]
        validator: bool,
    },
    /// Run the storage peer daemon until SIGINT or SIGTERM.
    Run,
    /// The daemon's identity, addresses and counts.
    Status,
    /// The peers connected now.
    Peers,
    /// Create a datanet owned by this node's contributor key, with its policy and validators.
    Create(CreateArgs),
    /// The datanets this node knows.
    List,
    /// Contribute a file (or `-` for stdin) to a datanet.
    Contribute {
        /// The file, or `-`.
        file: PathBuf,
        /// The datanet's id.
        #[arg(long)]
        datanet: String,
        /// The payload's media type.
        #[arg(long, default_value = "application/octet-stream")]
        media_type: String,
    },
    /// Fetch a contribution's payload, checked against its manifest.
    Get {
        /// The contribution id.
        id: String,
        /// Write to FILE instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// A datanet's validators, with when each was last heard from.
    Validators {
        /// The datanet's id.
        datanet: String,
    },
    /// This node's validator on the chain's hub.
    Validator {
        /// What to do.
        #[command(subcommand)]
        action: ValidatorAction,
    },
    /// Which contributions a model's output quotes: its spans found in the datanet
    /// versions the model was trained on, and each contribution's and contributor's weight
    /// (needs a node with attribution enabled).
    Attribute {
        /// The model id.
        #[arg(long)]
        model: String,
        /// Also sign and submit the attribution records of this output (as the model's
        /// operator), so that the datanets' validators recompute them and pay by them.
        #[arg(long)]
        submit: bool,
        /// The output text, or `-` for stdin.
        file: PathBuf,
    },
    /// Contributor rewards on the chain's hub: fund a datanet's pool, bind the address this
    /// node's contributor is paid at, show a pool and what is due, claim it.
    Rewards {
        /// What to do.
        #[command(subcommand)]
        action: RewardsAction,
    },
    /// Model records: register a model trained on anchored datanet versions, show one.
    Model {
        /// What to do.
        #[command(subcommand)]
        action: ModelAction,
    },
    /// A contribution's manifest and status.
    Show {
        /// The contribution id.
        id: String,
    },
    /// Write a contribution's attribution proof: its leaf in its epoch's batch, the Merkle
    /// path, and the batch's anchor on chain (needs a node with a chain configured).
    Proof {
        /// The contribution id.
        id: String,
        /// Write to FILE instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check an attribution proof against a chain alone (no daemon needed): exit 0 if it
    /// holds, else say which field is wrong.
    VerifyProof {
        /// The proof file, or `-` for stdin.
        file: PathBuf,
        /// The chain's JSON-RPC endpoint.
        #[arg(long, value_name = "URL")]
        rpc: String,
        /// Blocks the anchor must have on and above it.
        #[arg(long, default_value_t = 1)]
        confirmations: u64,
    },
    /// Sample every chunk of a contribution through the network.
    Verify {
        /// The contribution id.
        id: String,
        /// The detection probability each chunk must reach.
        #[arg(long, default_value_t = 0.99)]
        confidence: f64,
    },
    /// Start a local network of daemons on loopback and walk a contribution through it.
    Devnet {
        /// How many daemons.
        #[arg(long, default_value_t = 4)]
        nodes: usize,
        /// Where their homes go (default: a new folder under the system's temp folder).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Payload size of the sample contribution, in MiB.
        #[arg(long, default_value_t = 20)]
        sample_mib: u64,
        /// Stop the daemons once the walk-through is done instead of waiting for Ctrl-C.
        #[arg(long)]
        exit: bool,
        /// Run without a local chain: nothing is anchored.
        #[arg(long)]
        no_chain: bool,
    },
}

/// What `datanet validator` does.
#[derive(Debug, Subcommand)]
pub enum ValidatorAction {
    /// Bind this node's validator key to its EVM key on the hub (once), and with `--stake`
    /// stake OPEN on a datanet that lists the key.
    Register {
        /// The datanet to stake on.
        #[arg(long, requires = "stake")]
        datanet: Option<String>,
        /// How much OPEN to stake, e.g. `100` or `2.5`.
        #[arg(long, requires = "datanet")]
        stake: Option<String>,
    },
}

/// Runs the command line and returns the process's exit code. SIGPIPE stays ignored, as Rust
/// leaves it: a socket or output pipe closed under a write is an error for the code writing
/// there to handle (see `socket` and `output`), not the end of the process.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    datanet_net::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            output::report(format_args!("error: cannot start the runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::dispatch(cli)) {
        Ok(code) => code,
        Err(CliError::OutputClosed) => ExitCode::from(OUTPUT_CLOSED),
        Err(e) => {
            output::report(format_args!("error: {e}"));
            ExitCode::FAILURE
        }
    }
}
