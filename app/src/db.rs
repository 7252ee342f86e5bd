//! Small database helpers shared by the action modules.

/// The name of the unique constraint a failed insert violated, if that is
/// why it failed. Actions turn these into friendly errors by constraint name,
/// never by matching error text.
pub fn unique_violation(e: &sqlx::Error) -> Option<String> {
    let db = e.as_database_error()?;
    if db.is_unique_violation() {
        db.constraint().map(str::to_owned)
    } else {
        None
    }
}

/// Records an administrative action. Runs inside the caller's transaction so
/// the log never disagrees with what happened.
pub async fn audit(
    tx: &mut sqlx::PgConnection,
    workspace_id: uuid::Uuid,
    actor: Option<uuid::Uuid>,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into audit_log (workspace_id, actor_member_id, action, detail) values ($1, $2, $3, $4)",
        workspace_id,
        actor,
        action,
        detail
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Escapes `%`, `_` and `\\` so user text matches literally in `like`/`ilike`.
pub fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
