//! Daemons as separate processes: the `datanet` binary run on a home set up with `init`,
//! talked to through its socket with the CLI, optionally inside a network namespace.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `datanet` binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_datanet");
/// How long a process test waits for something that should happen.
pub(crate) const WAIT: Duration = Duration::from_secs(60);

/// Runs `datanet --home HOME ARGS` and returns what it did.
pub(crate) fn datanet(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--home")
        .arg(home)
        .args(args)
        .env_remove("DATANET_HOME")
        .output()
        .unwrap()
}

/// Runs `datanet --json --home HOME ARGS`, checks it succeeded and returns its JSON.
pub(crate) fn json(home: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = datanet(home, &all);
    assert!(
        out.status.success(),
        "datanet {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A daemon process, stopped (SIGKILL) if the test ends without stopping it.
pub(crate) struct Daemon {
    /// Its home.
    pub(crate) home: PathBuf,
    child: Option<Child>,
}

impl Daemon {
    /// Starts `datanet run` on `home` and waits until it answers on its socket.
    pub(crate) fn start(home: &Path) -> Daemon {
        Daemon::start_with(home, &[], None)
    }

    /// Starts `datanet run` on `home` with the environment variables `env` (configuration
    /// overrides such as `DATANET_REPAIR_INTERVAL`), inside the network namespace `netns` if
    /// one is given, and waits until it answers on its socket (a Unix socket in the home,
    /// reachable from any namespace).
    pub(crate) fn start_with(home: &Path, env: &[(&str, &str)], netns: Option<&str>) -> Daemon {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(home.join("test-daemon.log"))
            .unwrap();
        let mut command = match netns {
            Some(netns) => {
                let mut command = Command::new("ip");
                command.args(["netns", "exec", netns, BIN]);
                command
            }
            None => Command::new(BIN),
        };
        let child = command
            .arg("--home")
            .arg(home)
            .arg("run")
            .env_remove("DATANET_HOME")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let daemon = Daemon {
            home: home.to_path_buf(),
            child: Some(child),
        };
        wait_until("the daemon answers", || {
            datanet(home, &["status"]).status.success()
        });
        daemon
    }

    /// Sends SIGTERM and checks the daemon exits cleanly and removes its socket.
    pub(crate) fn stop(&mut self) {
        let mut child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + WAIT;
        let exit = loop {
            if let Some(exit) = child.try_wait().unwrap() {
                break exit;
            }
            assert!(Instant::now() < deadline, "the daemon stops on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(exit.success(), "graceful shutdown exits 0: {exit}");
        assert!(!self.home.join("datanet.sock").exists());
    }

    /// Freezes the daemon with SIGSTOP: it keeps its sockets but does nothing, answers
    /// nothing and sends nothing until [`Daemon::resume`].
    pub(crate) fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a daemon frozen by [`Daemon::pause`] go on (SIGCONT).
    pub(crate) fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().unwrap().id().to_string();
        let status = Command::new("kill")
            .args([signal, pid.as_str()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// Kills the daemon with SIGKILL, as a crash would, and waits until it is gone.
    pub(crate) fn kill(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Its TCP listen addresses, from `status`.
    pub(crate) fn listen(&self) -> Vec<String> {
        json(&self.home, &["status"])["listen"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .filter(|a| a.contains("/tcp/"))
            .collect()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Contributes the file `input` to `datanet` at `home`; the contribution's id.
pub(crate) fn contribute(home: &Path, input: &Path, datanet: &str) -> String {
    let made = json(
        home,
        &["contribute", input.to_str().unwrap(), "--datanet", datanet],
    );
    made["id"].as_str().unwrap().to_owned()
}

/// Fetches contribution `id` at `home` into a file in `dir` and checks it is `data`.
pub(crate) fn assert_gets_bit_exact(home: &Path, dir: &Path, id: &str, data: &[u8], what: &str) {
    let output = dir.join("output.bin");
    let got = datanet(home, &["get", id, "-o", output.to_str().unwrap()]);
    assert!(
        got.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert!(std::fs::read(&output).unwrap() == data, "{what}");
}

/// Polls `done` every 100 ms until it holds, failing the test after [`WAIT`].
pub(crate) fn wait_until(what: &str, done: impl FnMut() -> bool) {
    wait_up_to(WAIT, what, done);
}

/// Waits up to `limit` until `done` holds, checking every 100 ms; panics naming `what`.
pub(crate) fn wait_up_to(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The arguments of `init` for a home listening on TCP and QUIC on loopback, ports chosen by
/// the system, with `bootstrap` peers.
pub(crate) fn init_args(bootstrap: &[String]) -> Vec<&str> {
    let mut args = vec![
        "init",
        "--listen",
        "/ip4/127.0.0.1/tcp/0",
        "--listen",
        "/ip4/127.0.0.1/udp/0/quic-v1",
    ];
    for address in bootstrap {
        args.extend(["--bootstrap", address.as_str()]);
    }
    args
}

/// Sets up `home` listening on TCP and QUIC on loopback, ports chosen by the system, with
/// `bootstrap` peers.
pub(crate) fn init(home: &Path, bootstrap: &[String]) {
    let out = datanet(home, &init_args(bootstrap));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether the test runs as root.
pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// Sets up `home` listening on `listen` with `bootstrap` peers; returns its peer id.
pub(crate) fn init_at(home: &Path, listen: &[String], bootstrap: &[String]) -> String {
    let mut args = vec!["init"];
    for address in listen {
        args.extend(["--listen", address.as_str()]);
    }
    for address in bootstrap {
        args.extend(["--bootstrap", address.as_str()]);
    }
    json(home, &args)["peer_id"].as_str().unwrap().to_owned()
}

/// How many peers the daemon at `home` is connected to.
pub(crate) fn peer_count(home: &Path) -> u64 {
    json(home, &["status"])["peers"].as_u64().unwrap()
}

/// How many contributions' manifests the daemon at `home` stores.
pub(crate) fn contribution_count(home: &Path) -> u64 {
    json(home, &["status"])["contributions"].as_u64().unwrap()
}
