//! A real SMTP server for tests: aiosmtpd (from PyPI, installed by
//! scripts/test into its own virtualenv, `THREADSPACE_SMTP_SINK`) on a free
//! loopback port, writing what it receives into a maildir that the test reads.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The running sink, killed on drop.
pub struct Sink {
    _child: tokio::process::Child,
    pub url: String,
    dir: PathBuf,
}

/// Starts aiosmtpd. Fails the test with instructions when it is missing:
/// a mail test never passes without a real SMTP server.
pub async fn smtp_sink() -> Sink {
    let python = std::env::var("THREADSPACE_SMTP_SINK").unwrap_or_else(|_| "python3".into());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("threadspace-mail-{}", uuid::Uuid::new_v4()));
    let child = tokio::process::Command::new(&python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {python:?} -m aiosmtpd ({e}); scripts/test installs it (pip install aiosmtpd)"
            )
        });
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "aiosmtpd did not start on port {port} (is it installed? scripts/test installs it)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Sink { _child: child, url: format!("smtp://127.0.0.1:{port}"), dir }
}

impl Sink {
    /// Every mail received so far, as raw text with quoted-printable soft breaks undone.
    pub fn mails(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("new")) else { return Vec::new() };
        entries
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .map(|m| m.replace("=\r\n", "").replace("=\n", "").replace("=3D", "="))
            .collect()
    }

    /// Waits for a mail to `to`; panics after 20 s.
    pub async fn wait_for(&self, to: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(m) = self.mails().into_iter().find(|m| m.contains(&format!("To: {to}"))) {
                return m;
            }
            assert!(Instant::now() < deadline, "no mail to {to} arrived");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
