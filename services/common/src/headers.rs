//! Security headers on every response: a Content-Security-Policy, `X-Content-Type-Options:
//! nosniff`, a referrer policy and a frame ban. A handler that sets one of them keeps its own.

use axum::{
    Router,
    http::{HeaderName, HeaderValue, header},
};
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy of responses that are never a page (JSON, redirects): nothing may load, run or
/// frame them, and a browser that renders one anyway treats it as a sandboxed, opaque origin.
pub const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; \
                              form-action 'none'; sandbox";

/// The policy of the chat page. Scripts and styles come from the page's own origin only (no
/// inline script, no `eval`); media and uploads may also use `media_origins` (the upload service
/// and the store its media redirects to); nothing may frame the page.
pub fn page_policy(media_origins: &[String]) -> String {
    let extra = media_origins.join(" ");
    let extra = extra.trim();
    [
        "default-src 'none'".to_owned(),
        "script-src 'self'".to_owned(),
        "style-src 'self'".to_owned(),
        format!("img-src 'self' blob: data: {extra}"),
        format!("media-src 'self' blob: {extra}"),
        format!("connect-src 'self' {extra}"),
        "font-src 'self'".to_owned(),
        "manifest-src 'self'".to_owned(),
        "worker-src 'self'".to_owned(),
        "object-src 'none'".to_owned(),
        "base-uri 'none'".to_owned(),
        "form-action 'self'".to_owned(),
        "frame-ancestors 'none'".to_owned(),
    ]
    .map(|d| d.trim_end().to_owned())
    .join("; ")
}

/// The origin (`scheme://host[:port]`) of a URL, for a policy's source list; `None` if it has none.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let valid = matches!(scheme, "http" | "https")
        && !authority.is_empty()
        && !authority.contains(['@', ' ', ';', ',', '\'']);
    valid.then(|| format!("{scheme}://{authority}"))
}

/// Adds the security headers to every response of `router`, with `policy` as its CSP.
pub fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>, policy: &str) -> Router<S> {
    let csp = HeaderValue::from_str(policy).expect("a policy is a valid header value");
    let fixed: [(HeaderName, &'static str); 3] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    let router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        csp,
    ));
    fixed.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_allows_no_inline_script_and_no_framing() {
        let policy = page_policy(&["https://media.example".to_owned()]);
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.contains("img-src 'self' blob: data: https://media.example;"));
        assert!(HeaderValue::from_str(&page_policy(&[])).is_ok());
    }

    #[test]
    fn origins_come_from_urls_and_refuse_what_would_break_a_policy() {
        assert_eq!(
            origin_of("https://s3.example:9000/bucket?x=1").as_deref(),
            Some("https://s3.example:9000")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("http://a; script-src *"), None);
        assert_eq!(origin_of("ftp://x"), None);
    }
}
