//! One WebSocket connection: authenticate, register, then a reader loop and a writer task.
//!
//! The reader validates every frame and answers a bad one with an error frame (the connection
//! stays open). The writer task owns the socket's sending half: it drains the bounded outbound
//! queue, pings on a timer, cuts off a socket that takes no data for the write timeout, and sends
//! a close frame at the end. Cleanup happens in one place.

use std::{future::Future, num::NonZeroU32, time::Duration};

use axum::{
    extract::{
        State,
        ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code},
    },
    response::{IntoResponse, Response},
};
use futures_util::{SinkExt, StreamExt, stream::SplitSink, stream::SplitStream};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use natter_common::{AuthError, ClientAddr, UrlAuthUser};
use natter_protocol::{ClientCommand, ErrorFrame, FrameError, RawFrame};

use super::{
    Admission, AdmitError, Realtime,
    bus::Frame,
    conn::{ConnHandle, Outbound},
    dispatch, metrics,
};
use crate::{error::ApiError, guards::Guards};

/// Frames larger than this close the connection (WebSocket code 1009) instead of getting an error
/// frame: reading them at all would cost memory.
const HARD_FRAME_CAP: usize = 1024 * 1024;
/// Bytes the socket reads at once; kept small so that idle connections stay cheap.
const READ_BUFFER: usize = 4 * 1024;
/// Bytes of frames gathered before a write: frames queued together share one system call (the
/// buffer is only allocated once something is sent, so idle connections do not pay for it).
const WRITE_BUFFER: usize = 16 * 1024;

/// `GET /ws`: authenticates from the token, takes a connection slot (the caps per user, per
/// address and in all: `crate::guards`) and admits the user before upgrading.
pub async fn upgrade(
    State(realtime): State<Realtime>,
    State(guards): State<Guards>,
    auth: Result<UrlAuthUser, AuthError>,
    from: ClientAddr,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let user = auth?;
    let slot = guards.admit(user.id(), from)?;
    let admission = realtime.admit(user.id()).await?;
    let tracker = realtime.sessions().clone();
    Ok(ws
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(HARD_FRAME_CAP)
        .max_frame_size(HARD_FRAME_CAP)
        .on_upgrade(move |socket| {
            tracker.track_future(async move {
                run(realtime, admission, socket).await;
                drop(slot);
            })
        })
        .into_response())
}

impl From<AdmitError> for ApiError {
    fn from(e: AdmitError) -> Self {
        match e {
            AdmitError::UnknownAccount => AuthError::UnknownAccount.into(),
            AdmitError::Db(e) => e.into(),
            AdmitError::Stopping | AdmitError::Bus(_) => {
                tracing::warn!(error = %e, "connection not admitted");
                Self::Unavailable
            }
        }
    }
}

/// Why a reader loop ended.
enum Ending {
    /// The client left, timed out, or was too slow: stop at once.
    Gone,
    /// The hub is shutting down: flush queued frames, then close.
    Shutdown,
}

async fn run(realtime: Realtime, admission: Admission, socket: WebSocket) {
    let (conn, outbound) = realtime.connect(&admission);
    metrics::connection_opened();
    let (sink, stream) = socket.split();
    let config = realtime.config();
    let timing = Timing {
        heartbeat: Duration::from_secs(config.heartbeat_secs.max(1)),
        write_timeout: Duration::from_secs(config.write_timeout_secs.max(1)),
    };
    let writer = tokio::spawn(write_loop(sink, outbound, timing, conn.clone()));
    let ending = read_loop(&realtime, &conn, stream).await;
    if matches!(ending, Ending::Shutdown) {
        // Acks of what this connection sent come from the writer's last batches: wait for them.
        realtime.flushed().cancelled().await;
    }
    realtime.disconnect(&conn);
    if matches!(ending, Ending::Gone) {
        conn.killed().cancel();
    }
    drop(conn);
    let _ = writer.await;
    drop(admission);
    metrics::connection_closed();
}

async fn read_loop(
    realtime: &Realtime,
    conn: &ConnHandle,
    mut stream: SplitStream<WebSocket>,
) -> Ending {
    let config = realtime.config();
    let idle = Duration::from_secs(config.idle_timeout_secs.max(1));
    let limiter = rate_limiter(config.rate_per_sec, config.rate_burst);
    let stopping = realtime.stopping();
    loop {
        let next = tokio::select! {
            () = stopping.cancelled() => return Ending::Shutdown,
            () = conn.killed().cancelled() => return Ending::Gone,
            next = tokio::time::timeout(idle, stream.next()) => next,
        };
        let message = match next {
            Err(_) => {
                tracing::info!(conn = %conn.id(), user = conn.user(), "idle timeout");
                return Ending::Gone;
            }
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return Ending::Gone,
            Ok(Some(Ok(message))) => message,
        };
        metrics::frame_in();
        let result = match message {
            Message::Text(text) => on_text(realtime, conn, &limiter, text.as_str()).await,
            Message::Binary(_) => Err((None, FrameError::Binary)),
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) => Ok(()),
        };
        if let Err((cid, error)) = result {
            metrics::frame_rejected(error.code());
            realtime.reply(conn.id(), Frame::encode(&ErrorFrame::new(cid, &error)));
        }
    }
}

async fn on_text(
    realtime: &Realtime,
    conn: &ConnHandle,
    limiter: &DefaultDirectRateLimiter,
    text: &str,
) -> Result<(), (Option<String>, FrameError)> {
    let config = realtime.config();
    if text.len() > config.max_frame_bytes {
        return Err((
            None,
            FrameError::TooLarge {
                limit: config.max_frame_bytes,
            },
        ));
    }
    let raw = RawFrame::from_json(text).map_err(|e| (None, e))?;
    let cid = raw.cid.clone();
    let command = ClientCommand::parse(raw, conn.user(), config.max_text_chars)
        .map_err(|e| (cid.clone(), e))?;
    if command != ClientCommand::Heartbeat && limiter.check().is_err() {
        return Err((cid, FrameError::RateLimited));
    }
    dispatch::handle(realtime, conn, command)
        .await
        .map_err(|e| (cid, e))
}

fn rate_limiter(per_sec: u32, burst: u32) -> DefaultDirectRateLimiter {
    let per_sec = NonZeroU32::new(per_sec).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(per_sec);
    RateLimiter::direct(Quota::per_second(per_sec).allow_burst(burst))
}

/// How often the writer task pings, and how long one write may take before the connection is cut off.
#[derive(Clone, Copy)]
struct Timing {
    heartbeat: Duration,
    write_timeout: Duration,
}

/// Sends queued frames and pings until the queue closes (shutdown: flush, then close) or the
/// connection is killed (gone or too slow: close at once). A socket that takes no data for the
/// write timeout (a client that does not read) is cut off, so it pins no more than its queue.
async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut queue: Outbound,
    timing: Timing,
    conn: ConnHandle,
) {
    let kill = conn.killed().clone();
    // However this task ends, the connection is over: a replay waiting for room stops too.
    let _closed = kill.clone().drop_guard();
    let id = conn.id();
    drop(conn);
    let heartbeat = timing.heartbeat;
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    let close = loop {
        let sent = tokio::select! {
            biased;
            () = kill.cancelled() => break close_frame(close_code::POLICY, "closed: too slow or gone"),
            frame = queue.recv() => match frame {
                Some(frame) => within(timing, send_queued(&mut sink, &mut queue, frame)).await,
                None => break close_frame(close_code::AWAY, "server shutting down"),
            },
            _ = ping.tick() => within(timing, sink.send(Message::Ping(Default::default()))).await,
        };
        match sent {
            Ok(()) => {}
            Err(Failed::Socket) => return,
            Err(Failed::Timeout) => {
                metrics::write_timeout();
                tracing::warn!(conn = %id, "socket took no data for the write timeout; disconnecting");
                kill.cancel();
                return;
            }
        }
    };
    // The close frame gets the same bound: a client that stopped reading cannot hold the task.
    let _ = within(timing, async {
        sink.send(close).await?;
        sink.close().await
    })
    .await;
}

/// Why a write did not complete.
enum Failed {
    Socket,
    Timeout,
}

async fn within(
    timing: Timing,
    write: impl Future<Output = Result<(), axum::Error>>,
) -> Result<(), Failed> {
    match tokio::time::timeout(timing.write_timeout, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Failed::Socket),
        Err(_) => Err(Failed::Timeout),
    }
}

/// Most frames written before one flush: under load, many frames share a system call.
const FLUSH_EVERY: usize = 64;

/// Writes `first` and whatever else is already queued, then flushes once.
async fn send_queued(
    sink: &mut SplitSink<WebSocket, Message>,
    queue: &mut Outbound,
    first: Frame,
) -> Result<(), axum::Error> {
    sink.feed(first.into_message()).await?;
    for _ in 1..FLUSH_EVERY {
        match queue.try_recv() {
            Some(frame) => sink.feed(frame.into_message()).await?,
            None => break,
        }
    }
    queue.signal_drained();
    sink.flush().await
}

fn close_frame(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}
