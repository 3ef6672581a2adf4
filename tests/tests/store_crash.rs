//! Crash safety with a real process: a writer is killed with SIGKILL at random moments, 50
//! times; after each restart every contribution it acknowledged is wholly present and every
//! stored contribution is complete (nothing partial). Even rounds kill at a random time after
//! start (recovery included); odd rounds first wait for an acknowledged write, so every run
//! crashes in the middle of writing however slow the machine is.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use datanet_protocol::ContributionId;
use datanet_storage::Store;
use datanet_tests::check_complete;
use rand::Rng;

const KILLS: usize = 50;

#[test]
fn acknowledged_contributions_survive_sigkill_at_any_moment() {
    let home = tempfile::tempdir().unwrap();
    let mut rng = rand::thread_rng();
    let mut acked: BTreeSet<ContributionId> = BTreeSet::new();
    let mut next_nonce = 0u64;
    for round in 0..KILLS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_store_crash_writer"))
            .arg(home.path())
            .arg(next_nonce.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (acks, received) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut ids = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(id) = line.strip_prefix("ack ") {
                    ids.push(id.parse::<ContributionId>().unwrap());
                    let _ = acks.send(());
                }
            }
            ids
        });
        if round % 2 == 1 {
            received
                .recv_timeout(Duration::from_secs(60))
                .expect("the writer acknowledges a write");
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(20..150)));
        child.kill().unwrap();
        child.wait().unwrap();
        let this_round = reader.join().unwrap();
        next_nonce += 100_000;
        acked.extend(this_round);

        let store = Store::open(home.path()).unwrap();
        for id in &acked {
            check_complete(&store, id)
                .unwrap_or_else(|e| panic!("round {round}: acknowledged {id} lost: {e}"));
        }
        for id in store.contributions().unwrap() {
            check_complete(&store, &id)
                .unwrap_or_else(|e| panic!("round {round}: stored {id} is partial: {e}"));
        }
    }
    assert!(
        acked.len() >= KILLS / 2,
        "every odd round acknowledges a write, yet only {} were",
        acked.len()
    );
}
