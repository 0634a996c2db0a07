//! What each validated client command does for one session.
//!
//! Permission checks live here (is the target a user, is the sender in the group, is the media
//! theirs); storing and delivering messages is the writer's job, relaying is the bus's.

use std::collections::HashMap;

use natter_db::{
    DbError, conversations, conversations::Participants, memberships, messages, receipts,
};
use natter_protocol::{
    CatchUpDone, ChatMessage, ClientCommand, FrameError, HeartbeatFrame, OutgoingMessage,
    ReadFrame, Target, TypingFrame, cmd, media,
};

use super::{Realtime, bus::Audience, encode, registry::ConnHandle, writer::Submission};

/// Prefix of the paths of the stickers shipped with the page; a sticker may point nowhere else.
const STICKER_PREFIX: &str = "/stickers/";

/// Runs one command sent by `user` over `conn`.
pub async fn handle(
    realtime: &Realtime,
    conn: &ConnHandle,
    command: ClientCommand,
) -> Result<(), FrameError> {
    let user = conn.user_id;
    match command {
        ClientCommand::Heartbeat => {
            conn.push(encode(&HeartbeatFrame {
                cmd: cmd::HEARTBEAT,
            }));
            Ok(())
        }
        ClientCommand::Send(message) => send(realtime, conn, message).await,
        ClientCommand::Typing(target) => typing(realtime, conn, target).await,
        ClientCommand::Read { conv, seq } => read(realtime, conn, conv, seq).await,
        ClientCommand::CatchUp { cursors } => catch_up(realtime, conn, user, cursors).await,
    }
}

async fn send(
    realtime: &Realtime,
    conn: &ConnHandle,
    mut message: OutgoingMessage,
) -> Result<(), FrameError> {
    let sender = conn.user_id;
    check_target(realtime, sender, message.target).await?;
    let media_id = check_media(realtime, sender, &mut message).await?;
    realtime
        .inner
        .writer
        .submit(Submission {
            sender,
            origin: conn.clone(),
            message,
            media_id,
        })
        .await
}

/// The target must be another existing user, or a group the sender belongs to.
async fn check_target(realtime: &Realtime, sender: i64, target: Target) -> Result<(), FrameError> {
    match target {
        Target::User(to) if to == sender => Err(FrameError::InvalidField {
            field: "dstid",
            reason: "cannot send to yourself",
        }),
        Target::User(to) => match user_exists(realtime, to).await? {
            true => Ok(()),
            false => Err(FrameError::UnknownUser(to)),
        },
        Target::Group(group) => match realtime.inner.registry.in_group(sender, group) {
            Some(true) => Ok(()),
            _ => Err(FrameError::NotMember(group)),
        },
    }
}

async fn user_exists(realtime: &Realtime, user: i64) -> Result<bool, FrameError> {
    if realtime
        .inner
        .known_users
        .lock()
        .expect("known users lock")
        .contains(&user)
    {
        return Ok(true);
    }
    let client = realtime.inner.pool.get().await.map_err(unavailable)?;
    let exists = memberships::user_exists(&client, user)
        .await
        .map_err(unavailable)?;
    if exists {
        // Users are never deleted while the hub runs, so a positive answer can be kept.
        realtime
            .inner
            .known_users
            .lock()
            .expect("known users lock")
            .insert(user);
    }
    Ok(exists)
}

/// Images and voice must name media of that kind owned by the sender; the server sets their URLs
/// (and, for voice, the measured duration and waveform in `memo`).
/// Stickers may only point at the stickers shipped with the page.
async fn check_media(
    realtime: &Realtime,
    sender: i64,
    message: &mut OutgoingMessage,
) -> Result<Option<uuid::Uuid>, FrameError> {
    let kind = match message.media {
        media::IMAGE => "image",
        media::VOICE => "voice",
        media::EMOJI => {
            let url_ok = message.url.as_deref().is_none_or(is_sticker_path);
            return if url_ok {
                Ok(None)
            } else {
                Err(FrameError::BadMedia)
            };
        }
        _ => return Ok(None),
    };
    let id = message
        .media_id
        .as_deref()
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .ok_or(FrameError::BadMedia)?;
    let client = realtime.inner.pool.get().await.map_err(unavailable)?;
    let facts = messages::owned_media(&client, id, sender, kind)
        .await
        .map_err(unavailable)?
        .ok_or(FrameError::BadMedia)?;
    message.url = Some(format!("/media/{id}"));
    message.pic = (kind == "image").then(|| format!("/media/{id}/thumb"));
    if kind == "voice" {
        // What the page shows is what the upload service measured, not what a client claims.
        let memo =
            serde_json::json!({"duration_ms": facts.duration_ms, "waveform": facts.waveform});
        message.memo = Some(memo.to_string());
    }
    Ok(Some(id))
}

fn is_sticker_path(url: &str) -> bool {
    url.starts_with(STICKER_PREFIX)
        && !url.contains("..")
        && url
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
}

async fn typing(realtime: &Realtime, conn: &ConnHandle, target: Target) -> Result<(), FrameError> {
    check_target(realtime, conn.user_id, target).await?;
    let (audience, dstid, group) = match target {
        Target::User(to) => (Audience::Users(vec![to]), to, false),
        Target::Group(g) => (Audience::Group(g), g, true),
    };
    let frame = TypingFrame {
        cmd: cmd::TYPING,
        userid: conn.user_id,
        dstid,
        group,
    };
    realtime.publish(audience, &frame, Some(conn.id));
    Ok(())
}

async fn read(
    realtime: &Realtime,
    conn: &ConnHandle,
    conv: i64,
    seq: i64,
) -> Result<(), FrameError> {
    let user = conn.user_id;
    let client = realtime.inner.pool.get().await.map_err(unavailable)?;
    let participants = conversations::participants(&client, conv)
        .await
        .map_err(unavailable)?;
    let member = conversations::is_member(&client, user, conv)
        .await
        .map_err(unavailable)?;
    let (Some(participants), true) = (participants, member) else {
        return Err(FrameError::UnknownConversation(conv));
    };
    let seq = receipts::mark_read(&client, user, conv, seq)
        .await
        .map_err(unavailable)?;
    let audience = match participants {
        Participants::Pair(a, b) => Audience::Users(vec![a, b]),
        Participants::Group(g) => Audience::Group(g),
    };
    let frame = ReadFrame {
        cmd: cmd::READ,
        userid: user,
        conv,
        seq,
    };
    realtime.publish(audience, &frame, Some(conn.id));
    Ok(())
}

/// Replays everything after each cursor, a page per conversation at most, then cmd 31.
/// Frames are queued with back-pressure, so a long replay never overflows the connection's queue.
async fn catch_up(
    realtime: &Realtime,
    conn: &ConnHandle,
    user: i64,
    cursors: HashMap<i64, i64>,
) -> Result<(), FrameError> {
    let page = i64::from(realtime.inner.config.hub_limits().catch_up_page);
    let client = realtime.inner.pool.get().await.map_err(unavailable)?;
    let found = messages::catch_up(&client, user, &cursors, page)
        .await
        .map_err(unavailable)?;
    drop(client);
    let (replay, more) = cap_per_conversation(found, page);
    for message in &replay {
        conn.send(encode(message)).await;
    }
    conn.send(encode(&CatchUpDone {
        cmd: cmd::CATCH_UP_DONE,
        more,
    }))
    .await;
    Ok(())
}

/// Keeps at most `page` messages per conversation (rows come ordered by conversation, then seq)
/// and lists the conversations that had more.
fn cap_per_conversation(found: Vec<ChatMessage>, page: i64) -> (Vec<ChatMessage>, Vec<i64>) {
    let mut counts: HashMap<i64, i64> = HashMap::new();
    let mut more = Vec::new();
    let mut replay = Vec::with_capacity(found.len());
    for message in found {
        let count = counts.entry(message.conv).or_default();
        *count += 1;
        if *count <= page {
            replay.push(message);
        } else if *count == page + 1 {
            more.push(message.conv);
        }
    }
    (replay, more)
}

fn unavailable(e: impl Into<DbError>) -> FrameError {
    let e = e.into();
    tracing::warn!(error = %e, "database error while handling a frame");
    FrameError::Unavailable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sticker_paths_stay_inside_the_sticker_folder() {
        assert!(is_sticker_path("/stickers/cats/happy.svg"));
        assert!(!is_sticker_path("https://evil.example/track.png"));
        assert!(!is_sticker_path("/stickers/../api/v1/me"));
        assert!(!is_sticker_path("/stickers/a\"onerror=x"));
    }
}
