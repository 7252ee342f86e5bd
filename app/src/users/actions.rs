//! Writing a member's own settings. The manual away flag is the one so far:
//! it is announced by the presence service (`realtime::presence`), which
//! combines it with the member's sockets, not by a `Tx` event (see
//! `core::catalog`, where `users.setPresence` is listed as emitting).

use sqlx::PgPool;

use crate::auth::Actor;
use crate::error::AppResult;

/// Sets (or clears) the caller's manual away flag.
pub async fn set_away(db: &PgPool, actor: &Actor, away: bool) -> AppResult<()> {
    sqlx::query!("update member set presence_away = $2 where member_id = $1", actor.member_id, away)
        .execute(db)
        .await?;
    Ok(())
}
