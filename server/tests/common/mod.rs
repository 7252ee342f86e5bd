//! Test helpers: a real server on port 0 over the test's own database, and
//! small named fixtures ("alice owns Acme").

#![allow(dead_code)]

use app::auth::actions::{signup, SignupInput};
use app::auth::Actor;
use reqwest::{redirect::Policy, Client, StatusCode};
use serde_json::Value;
use server::Config;

pub mod authz;
pub mod file_cases;
pub mod files;
pub mod mail;
pub mod meili;
pub mod push;
pub mod slack;
pub mod ws;
use sqlx::PgPool;

/// The password every fixture account uses.
pub const PASSWORD: &str = "correct horse battery";

/// The context actions run in, over the test's database. Its events reach
/// no socket (tests that watch events start a server, or a hub of their own).
pub fn ctx(db: &PgPool) -> app::core::ctx::Ctx {
    app::core::ctx::Ctx::offline(db.clone())
}

/// Signs up `email` as owner of a new workspace called `workspace`.
pub async fn owner(db: &PgPool, email: &str, workspace: &str) -> Actor {
    signup(
        &ctx(db),
        SignupInput {
            workspace_name: workspace.into(),
            email: email.into(),
            password: PASSWORD.into(),
            display_name: email.split('@').next().unwrap().into(),
        },
    )
    .await
    .expect("fixture sign-up")
}

/// Counts rows of a table (for "nothing was stored" checks).
pub async fn count(db: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(&format!("select count(*) from {table}")).fetch_one(db).await.unwrap()
}

/// A running server and a cookie-keeping client for it.
pub struct Srv {
    pub url: String,
    pub db: PgPool,
    pub client: Client,
    pub cfg: Config,
    pub rt: std::sync::Arc<app::realtime::service::Realtime>,
    pub files: std::sync::Arc<app::files::upload::FileService>,
    /// The word statistics that choose search plans.
    pub search_stats: std::sync::Arc<app::search::postgres::plan::Stats>,
    /// The Slack importer (tests run its jobs directly too).
    pub imports: app::imports::job::Importer,
}

/// A configuration for tests: a throwaway data directory, generous IP limit.
pub fn test_config(addr: std::net::SocketAddr) -> Config {
    let dir = std::env::temp_dir().join(format!("threadspace-test-{}", uuid::Uuid::new_v4()));
    Config {
        database_url: String::new(),
        redis_url: None,
        addr,
        data_dir: dir,
        public_url: format!("http://{addr}"),
        site_root: "target/site".into(),
        trust_proxy: false,
        login_limit_account: 5,
        login_limit_ip: 1000,
        db_pool: 5,
        log_json: false,
        ws_queue: 256,
        ws_heartbeat_secs: 30,
        missed_mail_after_secs: 900,
        push_endpoints: Vec::new(),
        s3_bucket: None,
        s3_endpoint: None,
        s3_region: "us-east-1".into(),
        s3_access_key_id: None,
        s3_secret_access_key: None,
        // Never from the environment: a test that wants Meilisearch says so
        // (see common::meili).
        meili_url: None,
        meili_key: None,
        meili_index: "messages".into(),
        search_pool: 2,
        search_timeout_ms: 3000,
        smtp_url: None,
        mail_from: "ThreadSpace <noreply@localhost>".into(),
        // Tests make many requests from one member and one IP; the limit
        // tests set 1 (see http_limits.rs).
        rate_limit_scale: 100.0,
        rate_limit_ip_factor: 20,
        ws_per_member: 20,
        ws_per_ip: 2000,
        statement_timeout_ms: 5000,
        request_timeout_secs: 30,
        max_requests: 512,
    }
}

/// A client that keeps cookies and does not follow redirects.
pub fn client() -> Client {
    // A timeout turns a hung request into a failure with a message instead of a stuck run.
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

impl Srv {
    /// Starts the real router on 127.0.0.1:0.
    pub async fn start(db: PgPool) -> Srv {
        Self::start_with(db, |_| {}).await
    }

    /// Starts the server after adjusting its configuration.
    pub async fn start_with(db: PgPool, tweak: impl FnOnce(&mut Config)) -> Srv {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut cfg = test_config(addr);
        tweak(&mut cfg);
        let state = server::state(&cfg, db.clone()).await.unwrap();
        let rt = state.rt.clone();
        let files = state.files.clone();
        let search_stats = state.search_stats.clone();
        let imports = state.imports.clone();
        let app = server::router(&cfg, state).await.unwrap();
        tokio::spawn(server::serve(listener, app, rt.clone()));
        Srv { url: format!("http://{addr}"), db, client: client(), cfg, rt, files, search_stats, imports }
    }

    /// Calls an API method as a browser would (same-origin, with cookies).
    pub async fn call(&self, method: &str, body: Value) -> (StatusCode, Value) {
        self.call_with(&self.client, method, body).await
    }

    /// Calls an API method with another client (another browser).
    pub async fn call_with(&self, client: &Client, method: &str, body: Value) -> (StatusCode, Value) {
        let res = client
            .post(format!("{}/api/{method}", self.url))
            .header("origin", &self.url)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        (status, json)
    }

    /// Calls an API method with a bearer token and no cookies, as an integration would.
    pub async fn call_bearer(&self, token: &str, method: &str, body: Value) -> (StatusCode, Value) {
        let res = Client::new()
            .post(format!("{}/api/{method}", self.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap())
    }

    /// Signs up through the API with this server's client; returns the result fields.
    pub async fn signup(&self, email: &str, workspace: &str) -> Value {
        let (status, body) = self
            .call(
                "auth.signup",
                serde_json::json!({"workspace_name": workspace, "email": email,
                                   "password": PASSWORD, "display_name": email.split('@').next().unwrap()}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

/// Asserts an error envelope with the given status and code.
#[track_caller]
pub fn assert_error(got: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(got.0.as_u16(), status, "{}", got.1);
    assert_eq!(got.1["ok"], false, "{}", got.1);
    assert_eq!(got.1["error"], code, "{}", got.1);
}

/// Adds `name` to the workspace of `admin` with `role`, without hashing a
/// password (fixture accounts added this way cannot log in; use invites or
/// sign-up for that).
pub async fn member(db: &PgPool, admin: &Actor, name: &str, role: app::auth::Role) -> Actor {
    let account_id = uuid::Uuid::now_v7();
    let mut tx = ctx(db).begin().await.unwrap();
    let email =
        format!("{}.{}@fixture.test", name.to_lowercase().replace(' ', "."), &account_id.to_string()[24..]);
    app::auth::actions::insert_account(&mut tx, account_id, &email, "not-a-hash").await.unwrap();
    let member_id = app::workspaces::actions::add_member(&mut tx, admin.workspace_id, account_id, role, name)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    Actor {
        account_id,
        member_id,
        workspace_id: admin.workspace_id,
        role,
        via: app::auth::AuthVia::Session,
        credential: None,
    }
}
