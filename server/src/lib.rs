//! The ThreadSpace server: configuration, router assembly and start-up.
//!
//! `main.rs` is a thin CLI over this library so that integration tests can
//! build the very same router and serve it on port 0.

// The router's nested service types outgrow the default limit.
#![recursion_limit = "256"]

pub mod api_gateway;
pub mod bench_limits;
pub mod compress;
pub mod config;
pub mod exports;
pub mod files;
pub mod forms;
pub mod guard;
pub mod imports;
pub mod observability;
pub mod pg_tls;
pub mod pictures;
pub mod pwa;
pub mod seed;
mod seed_chat;
pub mod shield;
pub mod ws;

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use app::files::store::Storage;
use app::files::upload::FileService;
use app::ratelimit::Limits;
use app::realtime::service::{Realtime, RealtimeConfig};
use app::search::meili::Meili;
use app::state::AppState;
use app::{shell, App};
use axum::http::header;
use axum::routing::{get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::{Key, SameSite};
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

pub use config::Config;

/// The migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Connects to Postgres and brings the schema up to date. The pool's
/// statements time out after `statement_timeout_ms` (0: never); migrations
/// run on a connection of their own, without one.
pub async fn connect(cfg: &Config) -> anyhow::Result<PgPool> {
    let opts = PgConnectOptions::from_str(&cfg.database_url)
        .map_err(|e| anyhow::anyhow!("DATABASE_URL is not valid: {e}"))?
        // JIT compilation costs more than it saves on short OLTP queries
        // (it added ~100 ms to a search plan that Postgres thought was big).
        .options([("jit", "off")]);
    let opts = pg_tls::plain_on_loopback(opts, &cfg.database_url, std::env::var("PGSSLMODE").ok().as_deref());
    {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect_with(&opts)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to DATABASE_URL: {e}"))?;
        MIGRATOR.run(&mut conn).await.map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
        let _ = conn.close().await;
    }
    let opts = match cfg.statement_timeout_ms {
        0 => opts,
        ms => opts.options([("statement_timeout", ms.to_string())]),
    };
    let db = PgPoolOptions::new()
        .max_connections(cfg.db_pool)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(opts)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to DATABASE_URL: {e}"))?;
    Ok(db)
}

/// Builds the shared state and starts realtime (connecting to Redis when
/// `REDIS_URL` is set).
pub async fn state(cfg: &Config, db: PgPool) -> anyhow::Result<AppState> {
    let leptos_options = LeptosOptions::builder()
        .output_name("threadspace")
        .site_root(cfg.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(cfg.addr)
        .build();
    let rt_config = RealtimeConfig {
        redis_url: cfg.redis_url.clone(),
        socket_queue: cfg.ws_queue,
        heartbeat: Duration::from_secs(cfg.ws_heartbeat_secs),
        per_member: cfg.ws_per_member,
        per_ip: cfg.ws_per_ip,
    };
    let rt = Realtime::start(db.clone(), rt_config).await.map_err(|e| anyhow::anyhow!("realtime: {e}"))?;
    let storage = Storage::open(&cfg.storage()).map_err(|e| anyhow::anyhow!("file storage: {e}"))?;
    let files = FileService::new(storage, cfg.data_dir.join("tmp")).map_err(|e| anyhow::anyhow!("{e}"))?;
    files.start(db.clone());
    let meili = search_backend(cfg, &db).await?;
    let limits =
        Limits::connect(cfg.limits(), cfg.redis_url.as_deref()).await.map_err(|e| anyhow::anyhow!(e))?;
    let search_db = search_pool(cfg, &db);
    // The words typo correction knows, folded in after sends.
    app::search::postgres::terms::start(db.clone());
    let mail = Arc::new(
        app::mail::worker::Mailer::new(cfg.smtp_url.as_deref(), &cfg.mail_from)
            .map_err(|e| anyhow::anyhow!(e))?,
    );
    mail.clone().start(db.clone());
    if !mail.configured() {
        tracing::info!("email: THREADSPACE_SMTP_URL is not set; mails (reset links) go to this log");
    }
    // Missed DMs and mentions, mailed when no tab is open (notify::missed).
    let after = Duration::from_secs(cfg.missed_mail_after_secs.max(1));
    app::notify::missed::set_delay(after);
    let tick = (after / 3).clamp(Duration::from_millis(300), Duration::from_secs(30));
    app::notify::missed::Missed::new(db.clone(), rt.presence.clone(), cfg.public_url.clone(), tick).start();
    // Web Push to members with no tab open (notify::push).
    let vapid = cfg.vapid_key()?;
    let pusher = app::notify::push::send::Pusher::new(
        db.clone(),
        rt.presence.clone(),
        &vapid,
        &cfg.public_url,
        Duration::from_millis(500),
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    let push = Arc::new(pusher.config(cfg.push_endpoints.clone()));
    pusher.start();
    let retention = app::retention::job::Retention::new(
        app::core::ctx::Ctx::new(db.clone(), rt.hub.bus().clone()),
        files.clone(),
    );
    retention.clone().start();
    let exports = app::exports::job::Exporter::new(
        app::core::ctx::Ctx::new(db.clone(), rt.hub.bus().clone()),
        files.clone(),
    );
    let imports = app::imports::job::Importer::new(
        app::core::ctx::Ctx::new(db.clone(), rt.hub.bus().clone()),
        files.clone(),
    );
    imports.clone().start_resumer();
    Ok(AppState {
        imports,
        push,
        search_db,
        exports,
        retention,
        mail,
        db,
        rt,
        files,
        meili,
        search_stats: Default::default(),
        leptos_options,
        limits: Arc::new(limits),
        public_url: cfg.public_url.clone(),
        trust_proxy: cfg.trust_proxy,
    })
}

/// Meilisearch when `MEILI_URL` is set (its indexer started), otherwise
/// none. The outbox is not touched here: it is switched by a command
/// (`threadspace reindex`, `threadspace search-outbox`), so one node
/// started without `MEILI_URL` cannot turn it off for the cluster.
pub async fn search_backend(cfg: &Config, db: &PgPool) -> anyhow::Result<Option<Arc<Meili>>> {
    let Some(m) = meili_client(cfg)? else {
        return Ok(None);
    };
    let s = m.refresh(db).await?;
    if !s.outbox_enabled || !s.meili_ready {
        tracing::warn!(
            "MEILI_URL is set but the index is not filled yet: Postgres answers searches until \
             `threadspace reindex` has run"
        );
    }
    m.clone().start(db.clone());
    tracing::info!(index = m.index(), "search: meilisearch, with postgres as the fallback");
    Ok(Some(m))
}

/// The configured Meilisearch client, if any.
pub fn meili_client(cfg: &Config) -> anyhow::Result<Option<Arc<Meili>>> {
    let Some(url) = &cfg.meili_url else { return Ok(None) };
    Ok(Some(Arc::new(
        Meili::new(url, cfg.meili_key.as_deref(), &cfg.meili_index)
            .map_err(|e| anyhow::anyhow!("MEILI_URL: {e}"))?,
    )))
}

/// The search pool: the main pool's database, its own few connections,
/// and a `statement_timeout`, opened lazily.
pub fn search_pool(cfg: &Config, db: &PgPool) -> PgPool {
    let opts =
        (*db.connect_options()).clone().options([("statement_timeout", cfg.search_timeout_ms.to_string())]);
    PgPoolOptions::new()
        .max_connections(cfg.search_pool.max(1))
        .acquire_timeout(Duration::from_secs(2))
        .connect_lazy_with(opts)
}

/// The whole HTTP surface: pages, API, forms, health and metrics.
pub async fn router(cfg: &Config, state: AppState) -> anyhow::Result<Router> {
    observability::metrics_handle();
    let store = PostgresStore::new(state.db.clone())
        .with_table_name("tower_session")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    store.migrate().await.map_err(|e| anyhow::anyhow!("session store migration failed: {e}"))?;
    tokio::spawn(store.clone().continuously_delete_expired(tokio::time::Duration::from_secs(3600)));
    let key = Key::from(&cfg.session_key()?);
    let sessions = SessionManagerLayer::new(store)
        .with_name(guard::SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(cfg.public_url.starts_with("https://"))
        .with_expiry(Expiry::OnInactivity(time::Duration::days(14)))
        .with_signed(key);

    let limiter = state.limits.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiter.housekeeping();
        }
    });

    let shield = shield::Shield::new(
        cfg.max_requests,
        Duration::from_secs(cfg.request_timeout_secs.max(1)),
        cfg.public_url.starts_with("https://"),
    );
    // The app's assets: precompressed before the node serves (only after a
    // new build, a few seconds; compress.rs), then served with the copy the
    // browser accepts.
    let pkg_dir = std::path::Path::new(state.leptos_options.site_root.as_ref())
        .join(state.leptos_options.site_pkg_dir.as_ref());
    match compress::precompress(&pkg_dir).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "assets precompressed"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(error = %e, "assets not precompressed; served as they are"),
    }
    let assets = Router::new()
        .fallback_service(ServeDir::new(&pkg_dir).precompressed_br().precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, compress::asset_cache_control()));
    let routes = generate_route_list(App);
    let ctx = state.clone();
    let opts = state.leptos_options.clone();
    let pages = Router::new()
        .route("/login", post(forms::login))
        .route("/signup", post(forms::signup))
        .route("/invite/{token}", post(forms::accept_invite))
        .route("/logout", post(forms::logout))
        .route("/ws", get(ws::upgrade))
        .route("/sw.js", get(pwa::service_worker))
        .nest("/pkg", assets)
        .route("/api/files.upload", post(files::upload).layer(files::body_limit()))
        .route("/files/{id}/{name}", get(files::download))
        .route("/files/{id}/thumb/{size}", get(files::thumbnail))
        .route("/exports/{id}/{name}", get(exports::download))
        .route("/api/admin.import.upload", post(imports::upload).layer(imports::body_limit()))
        .route("/imports/{id}/report.json", get(imports::report))
        .route("/api/users.setPhoto", post(pictures::set_photo).layer(pictures::body_limit()))
        .route("/api/admin.settings.setIcon", post(pictures::set_icon).layer(pictures::body_limit()))
        .route("/avatars/{member}/{size}", get(pictures::avatar))
        .route("/workspace-icons/{workspace}/{size}", get(pictures::icon))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(ctx.clone()),
            move || shell(opts.clone()),
        )
        .route_layer(axum::middleware::from_fn(observability::track))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), api_gateway::gateway))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::page_auth))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::check_origin))
        .layer(sessions);

    Ok(Router::new()
        .route("/healthz", get(observability::healthz))
        .route("/readyz", get(observability::readyz))
        .route("/metrics", get(observability::metrics_endpoint))
        .merge(pages)
        .layer(compress::layer())
        .layer(axum::middleware::from_fn_with_state(shield, shield::shield))
        .layer(TraceLayer::new_for_http())
        .with_state(state))
}

/// How long in-flight requests (an upload, say) may take to finish after
/// the shutdown signal; then the node exits anyway. Under the 30 s an
/// orchestrator usually waits before it kills.
pub const DRAIN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(25);

/// Serves until Ctrl-C or SIGTERM, then closes sockets (1001), takes this
/// node's members offline and drains in-flight requests, for at most
/// [`DRAIN_DEADLINE`].
pub async fn serve(listener: tokio::net::TcpListener, app: Router, rt: Arc<Realtime>) -> anyhow::Result<()> {
    use std::future::IntoFuture;
    let (signalled, on_signal) = tokio::sync::oneshot::channel::<()>();
    let drained = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = signalled.send(());
            rt.shutdown().await;
        })
        .into_future();
    let deadline = async {
        if on_signal.await.is_err() {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(DRAIN_DEADLINE).await;
    };
    tokio::select! {
        r = drained => r.map_err(|e| anyhow::anyhow!("server error: {e}")),
        _ = deadline => {
            tracing::warn!(secs = DRAIN_DEADLINE.as_secs(), "requests still in flight after the drain deadline: exiting");
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
