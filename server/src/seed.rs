//! The demo seed behind `scripts/run --demo`: a workspace a newcomer can log
//! into, with a few people, a dozen channels, DMs and a long history.
//!
//! Idempotent: a second run finds the demo owner and only prints the login.
//! The demo password is generated on first run and kept in the data directory,
//! never in the repository.

use app::auth::actions::{insert_account, signup, SignupInput};
use app::auth::{Actor, AuthVia, Role};
use app::workspaces::actions::add_member;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::RngCore;
use sqlx::PgPool;
use uuid::Uuid;

use crate::config::{write_private, Config};

/// The demo owner's email.
pub const DEMO_EMAIL: &str = "ada@demo.threadspace.test";

/// Everyone else in the demo workspace: (name, email, role, title).
const PEOPLE: &[(&str, &str, Role, &str)] = &[
    ("Grace Hopper", "grace@demo.threadspace.test", Role::Admin, "Engineering lead"),
    ("Linus Pauling", "linus@demo.threadspace.test", Role::Member, "Chemist"),
    ("Margaret Hamilton", "margaret@demo.threadspace.test", Role::Member, "Flight software"),
    ("Katherine Johnson", "katherine@demo.threadspace.test", Role::Member, "Trajectory analysis"),
    ("Gus Guest", "gus@demo.threadspace.test", Role::Guest, "Contractor"),
];

fn demo_password(cfg: &Config) -> anyhow::Result<String> {
    let path = cfg.data_dir.join("demo-password");
    if let Ok(p) = std::fs::read_to_string(&path) {
        return Ok(p.trim().to_string());
    }
    std::fs::create_dir_all(&cfg.data_dir)?;
    let mut bytes = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut bytes);
    let pw = format!("demo-{}", URL_SAFE_NO_PAD.encode(bytes));
    write_private(&path, pw.as_bytes())?;
    Ok(pw)
}

/// The demo owner and everyone else in the demo workspace, as actors.
async fn demo_actors(db: &PgPool) -> anyhow::Result<(Actor, Vec<Actor>)> {
    let rows = sqlx::query!(
        r#"select m.account_id, m.member_id, m.workspace_id, m.role, a.email
           from member m join account a using (account_id)
           where m.workspace_id = (select m2.workspace_id from member m2 join account a2 using (account_id)
                                   where a2.email = $1 and m2.role = 'owner' limit 1)
           order by m.created_at, m.member_id"#,
        DEMO_EMAIL
    )
    .fetch_all(db)
    .await?;
    let mut owner = None;
    let mut people = Vec::new();
    for r in rows {
        let actor = Actor {
            account_id: r.account_id,
            member_id: r.member_id,
            workspace_id: r.workspace_id,
            role: Role::parse(&r.role).map_err(|e| anyhow::anyhow!("{e}"))?,
            via: AuthVia::Session,
            credential: None,
        };
        if r.email == DEMO_EMAIL {
            owner = Some(actor);
        } else {
            people.push(actor);
        }
    }
    Ok((owner.ok_or_else(|| anyhow::anyhow!("the demo owner is missing"))?, people))
}

/// Creates the demo workspace unless it exists, then prints how to log in.
pub async fn demo(cfg: &Config, db: &PgPool) -> anyhow::Result<()> {
    let password = demo_password(cfg)?;
    let exists = sqlx::query_scalar!("select 1 as one from account where email = $1", DEMO_EMAIL)
        .fetch_optional(db)
        .await?
        .is_some();
    let ctx = app::core::ctx::Ctx::offline(db.clone());
    if !exists {
        let owner = signup(
            &ctx,
            SignupInput {
                workspace_name: "Acme Demo".into(),
                email: DEMO_EMAIL.into(),
                password: password.clone(),
                display_name: "Ada Lovelace".into(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo sign-up failed: {e}"))?;
        let hash = app::auth::passwords::hash_password(password.clone())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut tx = ctx.begin().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        sqlx::query!("update member set title = 'Founder' where member_id = $1", owner.member_id)
            .execute(&mut *tx)
            .await?;
        for (name, email, role, title) in PEOPLE {
            let account_id = Uuid::now_v7();
            insert_account(&mut tx, account_id, email, &hash).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let member_id = add_member(&mut tx, owner.workspace_id, account_id, *role, name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            sqlx::query!("update member set title = $2 where member_id = $1", member_id, title)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("Seeded the demo workspace \"Acme Demo\" with {} people.", PEOPLE.len() + 1);
    }
    let (owner, people) = demo_actors(db).await?;
    crate::seed_chat::seed(&ctx, &owner, &people).await?;
    println!("Demo login: {DEMO_EMAIL} / {password}  (every demo person shares this password)");
    Ok(())
}
