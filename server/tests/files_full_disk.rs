//! A full disk under the local file store: the data directory is a small
//! tmpfs of its own, filled up by the test. An upload that does not fit
//! is refused with `service_unavailable` (the client may retry once space
//! returns) and leaves no rows, no objects and no temporary files; what was
//! stored before still downloads; once space is freed, uploads work again
//! without a restart.
//!
//! Mounting needs root (CI and `scripts/test` run as root on this machine
//! kind); elsewhere the test prints a SKIPPED line saying why.

mod common;

use std::path::PathBuf;

use common::files::{file_rows, form, get, noise, objects, sha, temp_files, upload};
use common::ws::{general, token};
use common::{owner, Srv};
use sqlx::PgPool;

/// Unmounts and removes the tmpfs when the test ends, however it ends.
struct Tmpfs(PathBuf);

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn mount_tmpfs(megabytes: u32) -> Option<Tmpfs> {
    let dir = std::env::temp_dir().join(format!("threadspace-full-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let _ = std::fs::remove_dir(&dir);
        return None;
    }
    Some(Tmpfs(dir))
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_full_disk_refuses_uploads_cleanly_and_recovers_when_space_returns(db: PgPool) {
    let Some(disk) = mount_tmpfs(4) else {
        println!(
            "SKIPPED: files_full_disk: mounting a 4 MB tmpfs needs root (CI and scripts/test run as root)"
        );
        return;
    };
    let srv = Srv::start_with(db.clone(), |c| c.data_dir = disk.0.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, c) = (token(&db, &alice).await, general(&db, &alice).await);

    // 2 MB of the 4 are taken by something else; a 0.5 MB file fits.
    let filler = disk.0.join("filler");
    std::fs::write(&filler, vec![7u8; 2 << 20]).unwrap();
    let small = noise(512 * 1024, 1);
    let (s, b) = upload(&srv, &t, form(&[("channel", &c)], vec![("small.bin", small.clone())])).await;
    assert_eq!(s, 200, "{b}");
    let small_url = b["file"]["url"].as_str().unwrap().to_string();
    let (rows, stored) = (file_rows(&srv).await, objects(&srv).await);

    // 2 MB does not fit in what is left: refused, and nothing is left of it.
    let big = noise(2 << 20, 2);
    let (s, b) = upload(&srv, &t, form(&[("channel", &c)], vec![("big.bin", big.clone())])).await;
    assert_eq!(s, 503, "{b}");
    assert_eq!(b["error"], "service_unavailable", "{b}");
    assert_eq!(file_rows(&srv).await, rows, "no blob, file or message rows for the refused upload");
    assert_eq!(objects(&srv).await, stored, "no object for the refused upload");
    assert!(temp_files(&srv).is_empty(), "temporary files left: {:?}", temp_files(&srv));

    // What was stored before still downloads, whole.
    let r = get(&srv, Some(&t), &small_url, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(sha(&r.bytes().await.unwrap()), sha(&small));

    // Space returns: the same upload now works, without a restart.
    std::fs::remove_file(&filler).unwrap();
    let (s, b) = upload(&srv, &t, form(&[("channel", &c)], vec![("big.bin", big.clone())])).await;
    assert_eq!(s, 200, "{b}");
    let r = get(&srv, Some(&t), b["file"]["url"].as_str().unwrap(), None).await;
    assert_eq!(sha(&r.bytes().await.unwrap()), sha(&big));
    assert!(temp_files(&srv).is_empty());
}
