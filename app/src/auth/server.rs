//! Server-only account actions: sign-up, login, password hashing, secrets, and
//! resolving the caller of a request into an [`Actor`].

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::http::HeaderMap;
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

use super::{validate_email, validate_name, validate_password, Actor, AuthVia, Me, Role};
use crate::db::{audit, unique_violation};
use crate::error::{AppError, AppResult};
use crate::workspaces::server as workspaces;

/// Session keys. The session stores ids only; roles and deactivation are read
/// fresh on every request, so a demotion or deactivation applies at once.
pub const SESSION_ACCOUNT: &str = "account_id";
pub const SESSION_MEMBER: &str = "member_id";

/// At most this many argon2 computations run at once. Each takes 19 MiB and a
/// core for tens of milliseconds; unbounded, a burst of logins would grow
/// memory with the number of blocking threads instead of queueing.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Hashes with argon2id (default parameters) on the blocking pool.
pub async fn hash_password(password: String) -> AppResult<String> {
    let _permit = HASHING.acquire().await.map_err(|_| AppError::Internal)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|_| AppError::Internal)?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::Internal
    })
}

/// Verifies a password against a stored PHC string on the blocking pool.
pub async fn verify_password(password: String, hash: String) -> AppResult<bool> {
    let _permit = HASHING.acquire().await.map_err(|_| AppError::Internal)?;
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .map_err(|_| AppError::Internal)
}

/// A hash of a well-formed password that nobody knows, verified when the email
/// is unknown so that both failure paths take the same time.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0GK9o3H2xFgUGMLOomcDTStbyf0ed/bLx2nNHcyAAaM";

pub use super::secrets::{hash_secret, new_secret};

/// Validated sign-up fields.
#[derive(Debug, Clone)]
pub struct SignupInput {
    pub workspace_name: String,
    pub email: String,
    pub password: String,
    pub display_name: String,
}

/// Creates a workspace and its owner. An existing account may sign up again
/// (to create another workspace) only with its correct password.
pub async fn signup(ctx: &crate::core::ctx::Ctx, input: SignupInput) -> AppResult<Actor> {
    let db: &PgPool = ctx;
    let workspace_name = validate_name("workspace_name", &input.workspace_name)?;
    let display_name = validate_name("display_name", &input.display_name)?;
    let email = validate_email(&input.email)?;
    validate_password(&input.password)?;

    let account =
        find_or_plan_account(db, &email, &input.password, AppError::AlreadyExists("email_taken")).await?;
    let mut tx = ctx.begin().await?;
    let account_id = account.ensure(&mut tx, &email).await?;
    let workspace_id = workspaces::create(&mut tx, &workspace_name).await?;
    let member_id =
        workspaces::add_member(&mut tx, workspace_id, account_id, Role::Owner, &display_name).await?;
    audit(&mut tx, workspace_id, Some(member_id), "workspace.created", serde_json::json!({})).await?;
    tx.commit().await?;
    tracing::info!(%workspace_id, %member_id, "workspace created");
    Ok(Actor { account_id, member_id, workspace_id, role: Role::Owner, via: AuthVia::Session })
}

/// The account behind an email: an existing one whose password checked out,
/// or a new one whose hash is ready to insert.
pub enum AccountPlan {
    Existing(Uuid),
    New { account_id: Uuid, password_hash: String },
}

/// Looks up `email`. An existing account must match `password` (else
/// `wrong_password`); a new one must have a strong enough password. Hashing
/// happens here, outside any transaction.
pub async fn find_or_plan_account(
    db: &PgPool,
    email: &str,
    password: &str,
    wrong_password: AppError,
) -> AppResult<AccountPlan> {
    let existing = sqlx::query!("select account_id, password_hash from account where email = $1", email)
        .fetch_optional(db)
        .await?;
    match existing {
        Some(a) => {
            if verify_password(password.to_string(), a.password_hash).await? {
                Ok(AccountPlan::Existing(a.account_id))
            } else {
                Err(wrong_password)
            }
        }
        None => {
            validate_password(password)?;
            Ok(AccountPlan::New {
                account_id: Uuid::now_v7(),
                password_hash: hash_password(password.to_string()).await?,
            })
        }
    }
}

impl AccountPlan {
    /// Inserts the account if it is new; returns its id either way.
    pub async fn ensure(self, tx: &mut sqlx::PgConnection, email: &str) -> AppResult<Uuid> {
        match self {
            AccountPlan::Existing(id) => Ok(id),
            AccountPlan::New { account_id, password_hash } => {
                insert_account(tx, account_id, email, &password_hash).await?;
                Ok(account_id)
            }
        }
    }
}

/// Inserts an account row. A concurrent registration of the same email
/// surfaces as `email_taken`.
pub async fn insert_account(
    tx: &mut sqlx::PgConnection,
    account_id: Uuid,
    email: &str,
    password_hash: &str,
) -> AppResult<()> {
    sqlx::query!(
        "insert into account (account_id, email, password_hash) values ($1, $2, $3)",
        account_id,
        email,
        password_hash
    )
    .execute(tx)
    .await
    .map_err(|e| match unique_violation(&e).as_deref() {
        Some("account_email_key") => AppError::AlreadyExists("email_taken"),
        _ => e.into(),
    })?;
    Ok(())
}

/// Checks credentials and picks the member to act as: the given workspace, or
/// the account's oldest active membership. Rate-limited per account and IP.
pub async fn login(
    db: &PgPool,
    limiter: &super::limiter::LoginLimiter,
    email: &str,
    password: &str,
    workspace_id: Option<Uuid>,
    ip: Option<std::net::IpAddr>,
) -> AppResult<Actor> {
    if email.trim().is_empty() || password.is_empty() {
        return Err(AppError::InvalidArguments("email and password are required".into()));
    }
    if password.chars().count() > super::MAX_PASSWORD_LEN || email.len() > super::MAX_EMAIL_LEN {
        return Err(AppError::InvalidCredentials);
    }
    let email = email.trim().to_lowercase();
    limiter.check(&email, ip)?;

    let account = sqlx::query!("select account_id, password_hash from account where email = $1", email)
        .fetch_optional(db)
        .await?;
    let Some(account) = account else {
        verify_password(password.to_string(), DUMMY_HASH.to_string()).await?;
        return Err(AppError::InvalidCredentials);
    };
    if !verify_password(password.to_string(), account.password_hash).await? {
        return Err(AppError::InvalidCredentials);
    }
    let member = sqlx::query!(
        r#"select member_id, workspace_id, role from member
           where account_id = $1 and deactivated_at is null
             and ($2::uuid is null or workspace_id = $2)
           order by created_at limit 1"#,
        account.account_id,
        workspace_id
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound("workspace_not_found"))?;
    Ok(Actor {
        account_id: account.account_id,
        member_id: member.member_id,
        workspace_id: member.workspace_id,
        role: Role::parse(&member.role)?,
        via: AuthVia::Session,
    })
}

/// Binds a session to an actor, with a fresh session id (no fixation).
pub async fn establish_session(session: &Session, actor: &Actor) -> AppResult<()> {
    let fail = |e: tower_sessions::session::Error| {
        tracing::error!(error = %e, "session store failure");
        AppError::Internal
    };
    session.cycle_id().await.map_err(fail)?;
    session.insert(SESSION_ACCOUNT, actor.account_id).await.map_err(fail)?;
    session.insert(SESSION_MEMBER, actor.member_id).await.map_err(fail)?;
    Ok(())
}

/// Resolves the caller: a bearer token when an `Authorization` header is
/// present (and then only that), otherwise the session.
pub async fn actor_from_request(
    db: &PgPool,
    headers: &HeaderMap,
    session: Option<&Session>,
) -> AppResult<Actor> {
    if let Some(value) = headers.get(http::header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AppError::InvalidAuth)?;
        return crate::tokens::server::authenticate(db, token).await;
    }
    let session = session.ok_or(AppError::NotAuthed)?;
    let member_id: Option<Uuid> = session.get(SESSION_MEMBER).await.map_err(|e| {
        tracing::error!(error = %e, "session store failure");
        AppError::Internal
    })?;
    let member_id = member_id.ok_or(AppError::NotAuthed)?;
    actor_for_member(db, member_id, AuthVia::Session).await
}

/// The actor for an active member (a session or a WebSocket ticket named
/// them); `not_authed` once they are deactivated.
pub async fn actor_for_member(db: &PgPool, member_id: Uuid, via: AuthVia) -> AppResult<Actor> {
    let row = sqlx::query!(
        "select account_id, workspace_id, role from member where member_id = $1 and deactivated_at is null",
        member_id
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotAuthed)?;
    Ok(Actor {
        account_id: row.account_id,
        member_id,
        workspace_id: row.workspace_id,
        role: Role::parse(&row.role)?,
        via,
    })
}

/// The caller of the current server function, or `not_authed`/`invalid_auth`.
pub async fn require_actor() -> AppResult<Actor> {
    let st = crate::state::state()?;
    let headers: HeaderMap = leptos_axum::extract().await.map_err(|_| AppError::Internal)?;
    let session: Option<Session> = leptos_axum::extract().await.ok();
    actor_from_request(&st.db, &headers, session.as_ref()).await
}

/// The caller, or `None` when nobody is logged in (for pages that render either way).
pub async fn current_actor() -> AppResult<Option<Actor>> {
    match require_actor().await {
        Ok(a) => Ok(Some(a)),
        Err(AppError::NotAuthed | AppError::InvalidAuth) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Fails with `forbidden` unless the actor is an owner or admin.
pub fn require_admin(actor: &Actor) -> AppResult<()> {
    if actor.role.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The `auth.test` view of an actor.
pub async fn me(db: &PgPool, actor: &Actor) -> AppResult<Me> {
    let row = sqlx::query!(
        r#"select m.display_name, a.email, w.name as workspace_name
           from member m join account a using (account_id) join workspace w using (workspace_id)
           where m.member_id = $1"#,
        actor.member_id
    )
    .fetch_one(db)
    .await?;
    Ok(Me {
        user_id: actor.member_id,
        workspace_id: actor.workspace_id,
        role: actor.role,
        display_name: row.display_name,
        email: row.email,
        workspace_name: row.workspace_name,
    })
}

/// The client's IP: the first `X-Forwarded-For` hop when behind a trusted
/// proxy (`THREADSPACE_TRUST_PROXY`), else the socket's peer address.
pub async fn client_ip() -> Option<std::net::IpAddr> {
    let st = crate::state::state().ok()?;
    if st.trust_proxy {
        let headers: HeaderMap = leptos_axum::extract().await.ok()?;
        if let Some(ip) = forwarded_ip(&headers) {
            return Some(ip);
        }
    }
    let info: axum::extract::ConnectInfo<std::net::SocketAddr> = leptos_axum::extract().await.ok()?;
    Some(info.0.ip())
}

/// The first address in `X-Forwarded-For`, if it parses.
pub fn forwarded_ip(headers: &HeaderMap) -> Option<std::net::IpAddr> {
    headers.get("x-forwarded-for")?.to_str().ok()?.split(',').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dummy_hash_is_a_valid_phc_string() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn secrets_are_unique_and_hashed() {
        let (a, ha) = new_secret("tsp_");
        let (b, _) = new_secret("tsp_");
        assert!(a.starts_with("tsp_") && a.len() == 4 + 43);
        assert_ne!(a, b);
        assert_eq!(hash_secret(&a), ha);
    }

    #[test]
    fn forwarded_ip_takes_the_first_hop() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 10.0.0.1".parse().unwrap());
        assert_eq!(forwarded_ip(&h), Some("203.0.113.9".parse().unwrap()));
        h.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(forwarded_ip(&h), None);
    }
}
