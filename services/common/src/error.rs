//! How both services answer an error: one JSON shape (`{"error":{"code","message"}}`), the
//! message being the error's `Display`; for a 5xx the cause (its `source()` chain) is logged,
//! never sent.

use std::{error::Error, fmt::Write as _, time::Duration};

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use natter_protocol::ErrorBody;

/// A service error that can be answered over HTTP.
pub trait HttpError: Error {
    /// The status of the answer.
    fn status(&self) -> StatusCode;
    /// The stable machine-readable code of the answer.
    fn code(&self) -> &'static str;
    /// When the client may try again (sent as `Retry-After`).
    fn retry_after(&self) -> Option<Duration> {
        None
    }
}

/// The response for `error`, logging the cause of a server-side failure.
pub fn render<E: HttpError + ?Sized>(error: &E) -> Response {
    let status = error.status();
    let code = error.code();
    if status.is_server_error() {
        let cause = causes(error);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(code, cause, "dependency unavailable");
        } else {
            tracing::error!(code, cause, "internal error");
        }
    }
    let mut response = (status, Json(ErrorBody::new(code, error.to_string()))).into_response();
    if let Some(after) = error.retry_after() {
        let seconds = after.as_secs_f64().ceil().max(1.0) as u64;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The `source()` chain of an error, one cause after another.
fn causes<E: Error + ?Sized>(error: &E) -> String {
    let mut text = String::new();
    let mut next = error.source();
    while let Some(cause) = next {
        if !text.is_empty() {
            text.push_str(": ");
        }
        let _ = write!(text, "{cause}");
        next = cause.source();
    }
    if text.is_empty() {
        text.push_str("(no cause)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Sample {
        #[error("service unavailable, try again")]
        Unavailable(#[source] std::io::Error),
    }

    impl HttpError for Sample {
        fn status(&self) -> StatusCode {
            StatusCode::SERVICE_UNAVAILABLE
        }
        fn code(&self) -> &'static str {
            "unavailable"
        }
        fn retry_after(&self) -> Option<Duration> {
            Some(Duration::from_millis(1500))
        }
    }

    #[tokio::test]
    async fn the_cause_is_logged_but_never_sent() {
        let error = Sample::Unavailable(std::io::Error::other("password=hunter2 refused"));
        assert_eq!(causes(&error), "password=hunter2 refused");
        let response = render(&error);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            text.contains("\"unavailable\"") && !text.contains("hunter2"),
            "{text}"
        );
    }
}
