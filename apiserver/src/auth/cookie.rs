//! The refresh token's cookie (`HttpOnly`, `SameSite=Strict`, `Secure` as `COOKIE_SECURE` decides,
//! scoped to `/auth/session`) and the CSRF check of every request that uses it.

use crate::error::ApiError;
use axum::http::{header, HeaderMap, HeaderValue};

/// The cookie's name.
pub const NAME: &str = "chaoscenter_refresh";
/// The only path the browser sends it to: refresh and logout live under it.
pub const PATH: &str = "/auth/session";
/// The header a request using the cookie must carry (value `1`). A page of another origin cannot add
/// a custom header to a request without a CORS preflight, which the apiserver never grants; a form or
/// a link cannot add one at all.
pub const CSRF_HEADER: &str = "x-chaoscenter-csrf";

/// The `Set-Cookie` value holding `token` for `max_age` seconds.
pub fn set(token: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = format!("{NAME}={token}; Path={PATH}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}");
    HeaderValue::from_str(&value).expect("a URL-safe token makes a valid header")
}

/// The `Set-Cookie` value that removes the cookie.
pub fn clear(secure: bool) -> HeaderValue {
    set("", 0, secure)
}

/// The refresh token in the request's cookies, if any.
pub fn read(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == NAME && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

/// Refuses a request that would use the cookie without the CSRF header, or that the browser says came
/// from another site.
pub fn check_csrf(headers: &HeaderMap) -> Result<(), ApiError> {
    if headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) != Some("1") {
        return Err(ApiError::forbidden(format!(
            "a request with the session cookie needs the header {CSRF_HEADER}: 1"
        )));
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        None | Some("same-origin") | Some("none") => Ok(()),
        Some(site) => Err(ApiError::forbidden(format!("a {site} request may not use the session cookie"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::headers;

    #[test]
    fn the_cookie_is_http_only_strict_and_scoped() {
        assert_eq!(
            set("abc-_1", 3600, true),
            "chaoscenter_refresh=abc-_1; Path=/auth/session; Max-Age=3600; HttpOnly; SameSite=Strict; Secure"
        );
        assert_eq!(
            clear(false),
            "chaoscenter_refresh=; Path=/auth/session; Max-Age=0; HttpOnly; SameSite=Strict"
        );
    }

    #[test]
    fn the_token_is_read_from_any_cookie_header() {
        assert_eq!(read(&headers(&[("cookie", "a=1; chaoscenter_refresh=tok; b=2")])), Some("tok".into()));
        assert_eq!(
            read(&headers(&[("cookie", "a=1"), ("cookie", "chaoscenter_refresh=t2")])),
            Some("t2".into())
        );
        assert_eq!(read(&headers(&[("cookie", "chaoscenter_refresh=")])), None);
        assert_eq!(read(&headers(&[("cookie", "xchaoscenter_refresh=t")])), None);
        assert_eq!(read(&HeaderMap::new()), None);
    }

    #[test]
    fn csrf_needs_the_header_and_a_same_origin_request() {
        assert!(check_csrf(&headers(&[(CSRF_HEADER, "1")])).is_ok());
        assert!(check_csrf(&headers(&[(CSRF_HEADER, "1"), ("sec-fetch-site", "same-origin")])).is_ok());
        let missing = check_csrf(&HeaderMap::new()).unwrap_err();
        assert_eq!(missing.status, 403);
        assert!(missing.message.contains("x-chaoscenter-csrf: 1"), "{}", missing.message);
        assert!(check_csrf(&headers(&[(CSRF_HEADER, "0")])).is_err());
        assert!(check_csrf(&headers(&[(CSRF_HEADER, "1"), ("sec-fetch-site", "cross-site")])).is_err());
        assert!(check_csrf(&headers(&[(CSRF_HEADER, "1"), ("sec-fetch-site", "same-site")])).is_err());
    }
}
