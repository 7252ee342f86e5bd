//! Configuration from environment variables. Every variable is documented in
//! README.md with its default; nothing here reads a file except the secrets
//! kept in the data directory.

use std::net::SocketAddr;
use std::path::PathBuf;

use app::files::store::StorageConfig;
use base64::{engine::general_purpose::STANDARD, Engine as _};
use rand::RngCore;

/// The server's settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `REDIS_URL`: when set, events fan out across nodes through Redis
    /// pub/sub and presence is shared in Redis; otherwise both stay in process.
    pub redis_url: Option<String>,
    /// `THREADSPACE_ADDR`: where to listen.
    pub addr: SocketAddr,
    /// `THREADSPACE_DATA_DIR`: secrets and (later) files.
    pub data_dir: PathBuf,
    /// `THREADSPACE_PUBLIC_URL`: the URL users reach; invite links use it.
    pub public_url: String,
    /// `THREADSPACE_SITE_ROOT`: where cargo-leptos put the WASM, JS and CSS.
    pub site_root: String,
    /// `THREADSPACE_TRUST_PROXY`: take client IPs from `X-Forwarded-For`.
    pub trust_proxy: bool,
    /// `THREADSPACE_LOGIN_LIMIT_ACCOUNT`: login attempts per minute per account.
    pub login_limit_account: u32,
    /// `THREADSPACE_LOGIN_LIMIT_IP`: login attempts per minute per IP.
    pub login_limit_ip: u32,
    /// `THREADSPACE_DB_POOL`: maximum database connections.
    pub db_pool: u32,
    /// `THREADSPACE_LOG_FORMAT`: `pretty` (default) or `json`.
    pub log_json: bool,
    /// `THREADSPACE_WS_QUEUE`: events a socket may have queued before it
    /// must resync.
    pub ws_queue: usize,
    /// `THREADSPACE_WS_HEARTBEAT_SECS`: ping interval on idle sockets.
    pub ws_heartbeat_secs: u64,
    /// `THREADSPACE_MISSED_MAIL_AFTER_SECS`: how long a DM or mention stays
    /// unread, with no tab open, before it is mailed (default 900; "hourly"
    /// waits four times as long).
    pub missed_mail_after_secs: u64,
    /// `THREADSPACE_PUSH_ENDPOINTS`: comma-separated URL prefixes of push
    /// services accepted besides the browsers' own (for a self-hosted
    /// UnifiedPush server, or a test stand-in).
    pub push_endpoints: Vec<String>,
    /// `THREADSPACE_S3_BUCKET`: store files in this S3 bucket instead of
    /// `<data dir>/files`. With `THREADSPACE_S3_ENDPOINT` (any S3-compatible
    /// service), `THREADSPACE_S3_REGION` (default `us-east-1`) and the usual
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (or
    /// `THREADSPACE_S3_ACCESS_KEY_ID` / `THREADSPACE_S3_SECRET_ACCESS_KEY`).
    pub s3_bucket: Option<String>,
    pub s3_endpoint: Option<String>,
    pub s3_region: String,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    /// `MEILI_URL`: search with Meilisearch (typo-tolerant), fed through
    /// the outbox; unset, Postgres full-text search answers everything.
    pub meili_url: Option<String>,
    /// `MEILI_API_KEY` (or `MEILI_MASTER_KEY`).
    pub meili_key: Option<String>,
    /// `THREADSPACE_MEILI_INDEX`: the name of the live index (default
    /// `messages`), so deployments and tests can share a Meilisearch.
    pub meili_index: String,
    /// `THREADSPACE_SEARCH_POOL`: connections of the search pool (default
    /// 4), separate from the main pool so searches cannot starve sign-in.
    pub search_pool: u32,
    /// `THREADSPACE_SEARCH_TIMEOUT_MS`: `statement_timeout` of the search
    /// pool (default 3000).
    pub search_timeout_ms: u64,
    /// `THREADSPACE_SMTP_URL`: where mail goes (`smtp://host:25`,
    /// `smtp://user:pass@host:587?tls=required`, `smtps://host`); unset,
    /// mails (password reset links) are written to the server log.
    pub smtp_url: Option<String>,
    /// `THREADSPACE_MAIL_FROM`: the sender, e.g. `ThreadSpace <chat@example.com>`.
    pub mail_from: String,
    /// `THREADSPACE_RATE_LIMIT_SCALE`: multiplies every per-member budget
    /// (default 1); 0 switches them off (password checks stay limited).
    pub rate_limit_scale: f64,
    /// `THREADSPACE_RATE_LIMIT_IP_FACTOR`: one IP's budget, in members'
    /// budgets (default 20: an office shares one address).
    pub rate_limit_ip_factor: u32,
    /// `THREADSPACE_WS_PER_MEMBER`, `THREADSPACE_WS_PER_IP`: open sockets
    /// one node accepts per member (default 20) and per IP (default 2000).
    pub ws_per_member: usize,
    pub ws_per_ip: usize,
    /// `THREADSPACE_STATEMENT_TIMEOUT_MS`: `statement_timeout` of the main
    /// pool when serving (default 5000; 0 for none, as the CLI's jobs use).
    pub statement_timeout_ms: u64,
    /// `THREADSPACE_REQUEST_TIMEOUT_SECS`: the longest an HTTP request may
    /// take, uploads excepted (default 30).
    pub request_timeout_secs: u64,
    /// `THREADSPACE_MAX_REQUESTS`: requests served at once; more wait
    /// (default 512).
    pub max_requests: usize,
}

fn var(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(key: &str, default: T) -> anyhow::Result<T> {
    match var(key) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| anyhow::anyhow!("{key}={v:?} is not valid")),
    }
}

impl Config {
    /// Reads the environment; invalid values are reported by name.
    pub fn from_env() -> anyhow::Result<Config> {
        let addr: SocketAddr = parsed("THREADSPACE_ADDR", "127.0.0.1:3000".parse().expect("valid"))?;
        Ok(Config {
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/threadspace".into()),
            redis_url: var("REDIS_URL"),
            addr,
            data_dir: var("THREADSPACE_DATA_DIR").unwrap_or_else(|| "data".into()).into(),
            public_url: var("THREADSPACE_PUBLIC_URL")
                .unwrap_or_else(|| format!("http://{addr}"))
                .trim_end_matches('/')
                .to_string(),
            site_root: var("THREADSPACE_SITE_ROOT")
                .or_else(|| var("LEPTOS_SITE_ROOT"))
                .unwrap_or_else(|| "target/site".into()),
            trust_proxy: parsed("THREADSPACE_TRUST_PROXY", false)?,
            login_limit_account: parsed("THREADSPACE_LOGIN_LIMIT_ACCOUNT", 5)?,
            login_limit_ip: parsed("THREADSPACE_LOGIN_LIMIT_IP", 30)?,
            db_pool: parsed("THREADSPACE_DB_POOL", 20)?,
            log_json: var("THREADSPACE_LOG_FORMAT").is_some_and(|v| v == "json"),
            ws_queue: parsed("THREADSPACE_WS_QUEUE", 256)?,
            ws_heartbeat_secs: parsed("THREADSPACE_WS_HEARTBEAT_SECS", 30)?,
            missed_mail_after_secs: parsed("THREADSPACE_MISSED_MAIL_AFTER_SECS", 900)?,
            push_endpoints: var("THREADSPACE_PUSH_ENDPOINTS")
                .map(|v| v.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect())
                .unwrap_or_default(),
            s3_bucket: var("THREADSPACE_S3_BUCKET"),
            s3_endpoint: var("THREADSPACE_S3_ENDPOINT"),
            s3_region: var("THREADSPACE_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
            s3_access_key_id: var("THREADSPACE_S3_ACCESS_KEY_ID"),
            s3_secret_access_key: var("THREADSPACE_S3_SECRET_ACCESS_KEY"),
            meili_url: var("MEILI_URL"),
            meili_key: var("MEILI_API_KEY").or_else(|| var("MEILI_MASTER_KEY")),
            meili_index: var("THREADSPACE_MEILI_INDEX")
                .unwrap_or_else(|| app::search::meili::DEFAULT_INDEX.into()),
            search_pool: parsed("THREADSPACE_SEARCH_POOL", 4)?,
            search_timeout_ms: parsed("THREADSPACE_SEARCH_TIMEOUT_MS", 3000)?,
            smtp_url: var("THREADSPACE_SMTP_URL"),
            mail_from: var("THREADSPACE_MAIL_FROM")
                .unwrap_or_else(|| "ThreadSpace <noreply@localhost>".into()),
            rate_limit_scale: parsed("THREADSPACE_RATE_LIMIT_SCALE", 1.0)?,
            rate_limit_ip_factor: parsed("THREADSPACE_RATE_LIMIT_IP_FACTOR", 20)?,
            ws_per_member: parsed("THREADSPACE_WS_PER_MEMBER", 20)?,
            ws_per_ip: parsed("THREADSPACE_WS_PER_IP", 2000)?,
            statement_timeout_ms: parsed("THREADSPACE_STATEMENT_TIMEOUT_MS", 5000)?,
            request_timeout_secs: parsed("THREADSPACE_REQUEST_TIMEOUT_SECS", 30)?,
            max_requests: parsed("THREADSPACE_MAX_REQUESTS", 512)?,
        })
    }

    /// The rate limits' settings.
    pub fn limits(&self) -> app::ratelimit::LimitsConfig {
        app::ratelimit::LimitsConfig {
            scale: self.rate_limit_scale,
            ip_factor: self.rate_limit_ip_factor,
            password_per_account: self.login_limit_account,
            password_per_ip: self.login_limit_ip,
        }
    }

    /// Where files are stored.
    pub fn storage(&self) -> StorageConfig {
        match &self.s3_bucket {
            Some(bucket) => StorageConfig::S3 {
                bucket: bucket.clone(),
                endpoint: self.s3_endpoint.clone(),
                region: self.s3_region.clone(),
                access_key_id: self.s3_access_key_id.clone(),
                secret_access_key: self.s3_secret_access_key.clone(),
            },
            None => StorageConfig::Local { root: self.data_dir.join("files") },
        }
    }

    /// The VAPID private key (a P-256 scalar) that signs Web Push requests.
    /// Generated on first start into the data directory (mode 0600), like
    /// the session key: browsers' subscriptions are bound to its public half,
    /// so it must survive restarts and be shared by every node.
    pub fn vapid_key(&self) -> anyhow::Result<Vec<u8>> {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let path = self.data_dir.join("vapid.key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let key = URL_SAFE_NO_PAD
                .decode(text.trim())
                .map_err(|_| anyhow::anyhow!("{} is corrupt", path.display()))?;
            if key.len() == 32 {
                return Ok(key);
            }
            return Err(anyhow::anyhow!("{} must hold 32 bytes", path.display()));
        }
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", self.data_dir.display()))?;
        let key = app::notify::push::send::new_key();
        write_private(&path, URL_SAFE_NO_PAD.encode(&key).as_bytes())?;
        tracing::info!(path = %path.display(), "generated a new VAPID key for Web Push");
        Ok(key)
    }

    /// The 64-byte key that signs session cookies. Generated on first start
    /// into the data directory (mode 0600) and reused afterwards, so sessions
    /// survive restarts and no secret ever lives in the repository.
    pub fn session_key(&self) -> anyhow::Result<Vec<u8>> {
        let path = self.data_dir.join("session.key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let key =
                STANDARD.decode(text.trim()).map_err(|_| anyhow::anyhow!("{} is corrupt", path.display()))?;
            if key.len() == 64 {
                return Ok(key);
            }
            return Err(anyhow::anyhow!("{} must hold 64 bytes", path.display()));
        }
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", self.data_dir.display()))?;
        let mut key = vec![0u8; 64];
        rand::thread_rng().fill_bytes(&mut key);
        write_private(&path, STANDARD.encode(&key).as_bytes())?;
        tracing::info!(path = %path.display(), "generated a new session key");
        Ok(key)
    }
}

/// Writes a file readable only by its owner.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(path).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    f.write_all(bytes).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}
