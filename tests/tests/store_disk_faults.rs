//! A full disk and a read-only disk give typed errors and leave the store consistent, and a
//! file system that refuses direct writes still stores everything. Each test mounts its own
//! small file system, so it needs root (as CI has); without root it says so and does nothing.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use datanet_storage::{Store, StoreError};
use datanet_tests::{check_complete, sample_contribution, store_contribution};

/// A small file system mounted on a fresh folder, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// A tmpfs of `size`.
    fn mount(size: &str) -> Option<Self> {
        Self::mount_kind(&["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
    }

    /// A file system of the kind and options `args` give to `mount`.
    fn mount_kind(args: &[&str]) -> Option<Self> {
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: mounting a file system needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        mount(args, dir.path());
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn mount(args: &[&str], at: &Path) {
    let status = Command::new("mount").args(args).arg(at).status().unwrap();
    assert!(status.success(), "mount {args:?} failed");
}

#[test]
fn a_full_disk_is_a_typed_error_and_after_freeing_space_nothing_is_lost_or_partial() {
    let Some(fs) = Tmpfs::mount("3m") else { return };
    let store = Store::open(fs.path()).unwrap();
    let mut acked = vec![store_contribution(&store, &sample_contribution(2, 1, 20_000)).unwrap()];

    let err = store.put_chunk(&vec![7u8; 8 * 1024 * 1024]).unwrap_err();
    assert!(matches!(err, StoreError::DiskFull { .. }), "got {err:?}");
    assert!(err.to_string().starts_with("disk full"));

    let filled = (2..200).find(|nonce| {
        match store_contribution(&store, &sample_contribution(2, *nonce, 60_000)) {
            Ok(id) => {
                acked.push(id);
                false
            }
            Err(StoreError::DiskFull { .. }) => true,
            Err(other) => panic!("expected a full disk, got {other:?}"),
        }
    });
    assert!(filled.is_some(), "the disk never filled");
    drop(store);

    mount(&["-o", "remount,size=64m"], fs.path());
    let store = Store::open(fs.path()).unwrap();
    for id in &acked {
        check_complete(&store, id).unwrap();
    }
    for id in store.contributions().unwrap() {
        check_complete(&store, &id).unwrap();
    }
    let after = store_contribution(&store, &sample_contribution(2, 999, 60_000)).unwrap();
    check_complete(&store, &after).unwrap();
}

#[test]
fn a_read_only_chunk_folder_is_a_typed_error_and_reads_still_work() {
    let Some(fs) = Tmpfs::mount("64m") else {
        return;
    };
    let store = Store::open(fs.path()).unwrap();
    let id = store_contribution(&store, &sample_contribution(3, 1, 30_000)).unwrap();
    let chunks = fs.path().join("chunks");
    mount(&["--bind", chunks.to_str().unwrap()], &chunks);
    mount(&["-o", "remount,bind,ro"], &chunks);

    let err = store.put_chunk(b"cannot land").unwrap_err();
    assert!(matches!(err, StoreError::NotWritable { .. }), "got {err:?}");
    check_complete(&store, &id).unwrap();
    let _ = Command::new("umount").arg(&chunks).status();
}

#[test]
fn a_file_system_that_refuses_direct_writes_still_stores_and_reads_everything() {
    let Some(fs) = Tmpfs::mount_kind(&["-t", "ramfs", "ramfs"]) else {
        return;
    };
    let store = Store::open(fs.path()).unwrap();
    let id = store_contribution(&store, &sample_contribution(3, 1, 30_000)).unwrap();
    check_complete(&store, &id).unwrap();
    let bytes = b"written through the page cache";
    let chunk = store.put_chunk(bytes).unwrap();
    assert_eq!(store.chunk(&chunk).unwrap().as_deref(), Some(&bytes[..]));
    drop(store);
    let reopened = Store::open(fs.path()).unwrap();
    check_complete(&reopened, &id).unwrap();
    assert_eq!(reopened.chunk(&chunk).unwrap().as_deref(), Some(&bytes[..]));
}
