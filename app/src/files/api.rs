//! `files.info`, `files.list` and `files.delete`. (`files.upload` is a plain
//! axum route in the server crate: multipart bodies do not fit server
//! functions' JSON codec, and it must stream.)

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::FileInfo;
use crate::api::{Empty, Reply};
use crate::error::AppError;
use crate::messages::Message;

/// What `files.upload` returns: the first file, all of them, and the message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadReply {
    pub file: FileInfo,
    pub files: Vec<FileInfo>,
    pub message: Message,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileReply {
    pub file: FileInfo,
}

/// A page of a channel's files, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileList {
    pub files: Vec<FileInfo>,
    pub next_cursor: Option<String>,
}

#[cfg(feature = "ssr")]
fn parse_file_id(s: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(s.trim()).map_err(|_| AppError::NotFound(crate::error::Missing::File))
}

/// One file, if the caller can read the channel where it was shared.
#[server(prefix = "/api", endpoint = "files.info", input = server_fn::codec::Json)]
pub async fn info(file: String) -> Result<Reply<FileReply>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let db = crate::state::state()?.db;
    let file = super::queries::info(&db, &actor, parse_file_id(&file)?).await?;
    Ok(Reply::new(FileReply { file }))
}

/// The files shared in a channel, newest first (`limit` at most 100).
#[server(prefix = "/api", endpoint = "files.list", input = server_fn::codec::Json)]
pub async fn list(
    channel: String,
    cursor: Option<String>,
    limit: Option<i64>,
) -> Result<Reply<FileList>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let db = crate::state::state()?.db;
    let channel = crate::channels::parse_channel_id(&channel)?;
    let limit = crate::api::page_limit(limit, 30, 100);
    let after = match cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(crate::api::decode_cursor::<(time::OffsetDateTime, uuid::Uuid)>(c)?),
        None => None,
    };
    let (files, next) = super::queries::list(&db, &actor, channel, after, limit).await?;
    Ok(Reply::new(FileList { files, next_cursor: next.map(|n| crate::api::encode_cursor(&n)) }))
}

/// Deletes a file (the person who shared it, or an admin). A message left
/// with neither text nor files is deleted too.
#[server(prefix = "/api", endpoint = "files.delete", input = server_fn::codec::Json)]
pub async fn delete(file: String) -> Result<Reply<Empty>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    let ctx = crate::core::ctx::Ctx::from(&st);
    super::actions::delete(&ctx, &actor, parse_file_id(&file)?).await?;
    if let Err(e) = st.files.sweep_now(&st.db).await {
        tracing::warn!(error = ?e, "sweep after files.delete failed; the sweeper will retry");
        st.files.nudge_sweeper();
    }
    Ok(Reply::new(Empty {}))
}
