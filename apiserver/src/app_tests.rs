//! The router driven with `oneshot` over in-memory fakes (`fakes`): every `/auth` endpoint, its success,
//! its refusals (401 without a valid token, 403 from RBAC or for a password still to change, 4xx for bad
//! input) and the effects on the stores; no cluster, database or port.

use crate::app::{app, AppState};
use crate::fakes::{FakeCluster, MemoryHistory, MemoryTokens};
use crate::store::{Session, TokenStore};
use crate::tokens::{random_id, unix_now, Claims, TokenKeys, TokenKind};
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chaoscenter_crds::project::Role;
use chaoscenter_crds::user::GlobalRole;
use mongodb::bson::DateTime;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// The password every seeded user has.
pub const PASSWORD: &str = "correct horse battery";

/// The hashing workers, shared by all tests (each `start` makes a decoy hash; argon2 at its real cost).
async fn passwords() -> crate::passwords::Passwords {
    static SHARED: tokio::sync::OnceCell<crate::passwords::Passwords> = tokio::sync::OnceCell::const_new();
    SHARED.get_or_init(|| crate::passwords::Passwords::start(2, 64)).await.clone()
}

/// [`PASSWORD`]'s hash, made once.
async fn password_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async { passwords().await.hash(PASSWORD).await }).await.clone()
}

fn config() -> crate::config::Config {
    crate::config::Config {
        namespace: "chaoscenter-system".into(),
        listen_addr: ([127, 0, 0, 1], 0).into(),
        mongodb_uri: String::new(),
        database: "unused".into(),
        issuer: "chaoscenter".into(),
        audience: "chaoscenter-api".into(),
        access_ttl: Duration::from_secs(900),
        refresh_ttl: Duration::from_secs(12 * 3600),
        session_lifetime: Duration::from_secs(24 * 3600),
        trusted_proxies: Vec::new(),
        cookie_secure: crate::client::CookieSecure::Auto,
        metrics_addr: None,
        admin_username: "admin".into(),
        hash_workers: 2,
        hash_queue: 64,
        ui_dir: std::env::temp_dir().join("chaoscenter-no-ui"),
        graphql_introspection: false,
        create_labels: Default::default(),
        webhook: None,
    }
}

/// The router over fakes holding: admin `root`; project `alpha` with Owner `olivia`, Editor `eddie` and
/// Viewer `vera` (and `newbie`, a Viewer who must still change the password); `otto`, in no project.
pub struct Harness {
    pub state: Arc<AppState>,
    pub cluster: FakeCluster,
    pub tokens: Arc<MemoryTokens>,
    pub history: Arc<MemoryHistory>,
}

/// A request's answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The `error` message of a refusal.
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }

    /// The refresh token set in the cookie, if any.
    pub fn cookie(&self) -> Option<String> {
        let set = self.headers.get(header::SET_COOKIE)?.to_str().ok()?;
        let value = set.split(';').next()?.strip_prefix("chaoscenter_refresh=")?;
        (!value.is_empty()).then(|| value.to_string())
    }
}

impl Harness {
    pub async fn new() -> Self {
        let hash = password_hash().await;
        let cluster = FakeCluster::new();
        cluster.add_user("root", GlobalRole::Admin, Some((&hash, false)));
        for user in ["olivia", "eddie", "vera", "otto"] {
            cluster.add_user(user, GlobalRole::User, Some((&hash, false)));
        }
        cluster.add_user("newbie", GlobalRole::User, Some((&hash, true)));
        cluster.add_project(
            "alpha",
            &[
                ("olivia", Role::Owner),
                ("eddie", Role::Editor),
                ("vera", Role::Viewer),
                ("newbie", Role::Viewer),
            ],
        );
        let tokens = Arc::new(MemoryTokens::default());
        let history = Arc::new(MemoryHistory::default());
        let state = Arc::new(AppState {
            config: config(),
            cluster: Arc::new(cluster.clone()),
            store: tokens.clone(),
            history: history.clone(),
            keys: TokenKeys::new(&[7; 32], "chaoscenter", "chaoscenter-api").expect("a valid key"),
            throttle: Default::default(),
            passwords: passwords().await,
            metrics: Default::default(),
            mirror_events: tokio::sync::broadcast::channel(16).0,
            schema: crate::graphql::schema(false),
        });
        Self { state, cluster, tokens, history }
    }

    /// The router, as if every request came from `peer`.
    pub fn app_from(&self, peer: [u8; 4]) -> Router {
        app(self.state.clone()).layer(MockConnectInfo(SocketAddr::from((peer, 40_000))))
    }

    /// An access token of a new session of `user` (as a login would make it; `pwc` if the user must
    /// change the password), without spending a password check.
    pub async fn token(&self, user: &str) -> String {
        let must_change = self.cluster.password_of(user).is_some_and(|p| p.must_change);
        let gen = self.tokens.generation(user).await.unwrap();
        let (session, _) = self.session(user, gen).await;
        let claims = Claims {
            sub: user.into(),
            uid: session.uid.clone(),
            iss: "chaoscenter".into(),
            aud: "chaoscenter-api".into(),
            exp: unix_now() + 600,
            iat: unix_now(),
            jti: random_id(),
            kind: TokenKind::Access,
            sid: Some(session.sid),
            gen: session.gen,
            pwc: must_change,
        };
        self.state.keys.sign(&claims)
    }

    /// A new session of `user` started at token generation `gen`, and its refresh token.
    pub async fn session(&self, user: &str, gen: i64) -> (Session, String) {
        let stored = self.cluster.stored_user(user).expect("a seeded user");
        let now = DateTime::now();
        let ends_at = DateTime::from_millis(now.timestamp_millis() + 3_600_000);
        let refresh_token = random_id();
        let session = Session {
            sid: random_id(),
            user: user.into(),
            uid: stored.metadata.uid.clone().unwrap_or_default(),
            gen,
            refresh_hash: crate::auth::refresh_hash(&refresh_token),
            created_at: now,
            ends_at,
            expires_at: ends_at,
        };
        self.tokens.create_session(&session).await.unwrap();
        (session, refresh_token)
    }

    /// Sends a request from 127.0.0.1: `token` as the bearer, `body` as JSON, plus `headers`. (The
    /// request is made at once, so the answer borrows nothing.)
    pub fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> impl std::future::Future<Output = Answer> + use<> {
        self.send_from([127, 0, 0, 1], method, path, token, body, headers)
    }

    pub fn send_from(
        &self,
        peer: [u8; 4],
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> impl std::future::Future<Output = Answer> + use<> {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(axum::body::Body::from(body.to_string())),
            None => request.body(axum::body::Body::empty()),
        }
        .expect("a valid request");
        let app = self.app_from(peer);
        async move {
            let response = app.oneshot(request).await.expect("the router answers");
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("a body");
            let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            Answer { status, headers, body }
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> impl std::future::Future<Output = Answer> + use<> {
        self.send(Method::GET, path, token, None, &[])
    }

    pub fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> impl std::future::Future<Output = Answer> + use<> {
        self.send(Method::POST, path, token, Some(body), &[])
    }

    pub async fn login(&self, user: &str, password: &str) -> Answer {
        self.post("/auth/login", None, json!({"username": user, "password": password})).await
    }
}

#[tokio::test]
async fn login_answers_an_access_token_and_sets_the_refresh_cookie() {
    let h = Harness::new().await;
    let ok = h.login("vera", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let token = ok.body["accessToken"].as_str().unwrap().to_string();
    assert_eq!(ok.body["mustChangePassword"], false);
    assert_eq!(ok.body["user"]["username"], "vera");
    assert_eq!(ok.body["user"]["projects"][0]["project"], "alpha", "{}", ok.body);
    let set = ok.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/auth/session")
    );
    assert!(ok.body.get("refreshToken").is_none(), "the refresh token is only in the cookie");
    assert_eq!(h.tokens.sessions_of("vera"), 1);
    let me = h.get("/auth/me", Some(&token)).await;
    assert_eq!((me.status, me.body["username"].as_str()), (StatusCode::OK, Some("vera")));
}

#[tokio::test]
async fn login_refuses_a_wrong_password_bad_input_and_a_disabled_user() {
    let h = Harness::new().await;
    let wrong = h.login("vera", "not the password").await;
    assert_eq!((wrong.status, wrong.error()), (StatusCode::UNAUTHORIZED, "wrong username or password"));
    let unknown = h.login("nobody", PASSWORD).await;
    assert_eq!((unknown.status, unknown.error()), (StatusCode::UNAUTHORIZED, "wrong username or password"));
    let empty = h.login("vera", "").await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{}", empty.body);
    let missing = h.post("/auth/login", None, json!({"username": "vera"})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", missing.body);
    assert!(missing.error().contains("password"), "names the field: {}", missing.error());
    let extra =
        h.post("/auth/login", None, json!({"username": "vera", "password": PASSWORD, "admin": true})).await;
    assert_eq!(extra.status, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are refused: {}", extra.body);
    let not_json =
        h.send(Method::POST, "/auth/login", None, None, &[("content-type", "application/json")]).await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST, "{}", not_json.body);
    h.cluster.set_user_field("otto", "disabled", json!(true));
    let disabled = h.login("otto", PASSWORD).await;
    // the right password of a disabled user is refused as a wrong one: nobody learns that it is right
    assert_eq!((disabled.status, disabled.error()), (StatusCode::UNAUTHORIZED, "wrong username or password"));
    assert_eq!(h.tokens.sessions_of("otto") + h.tokens.sessions_of("vera"), 0, "no session was started");
}

#[tokio::test]
async fn failed_logins_throttle_that_user_from_that_address_only() {
    let h = Harness::new().await;
    let from = |peer: [u8; 4], password: &'static str| {
        let h = &h;
        async move {
            h.send_from(
                peer,
                Method::POST,
                "/auth/login",
                None,
                Some(json!({"username": "vera", "password": password})),
                &[],
            )
            .await
        }
    };
    for _ in 0..5 {
        assert_eq!(from([10, 0, 0, 1], "wrong password").await.status, StatusCode::UNAUTHORIZED);
    }
    let throttled = from([10, 0, 0, 1], PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS, "{}", throttled.body);
    assert!(throttled.headers.contains_key(header::RETRY_AFTER));
    assert!(throttled.error().contains("for this user from your address"), "{}", throttled.error());
    let elsewhere = from([10, 0, 0, 2], PASSWORD).await;
    assert_eq!(elsewhere.status, StatusCode::OK, "another address is not locked out: {}", elsewhere.body);
}

#[tokio::test]
async fn a_user_who_must_change_the_password_signs_in_but_may_only_change_it() {
    let h = Harness::new().await;
    let login = h.login("newbie", PASSWORD).await;
    assert_eq!((login.status, &login.body["mustChangePassword"]), (StatusCode::OK, &json!(true)));
    let token = login.body["accessToken"].as_str().unwrap().to_string();
    let refused = h.get("/auth/users", Some(&token)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.error(), "change your password first (POST /auth/password)");
    let changed = h
        .post(
            "/auth/password",
            Some(&token),
            json!({"currentPassword": PASSWORD, "newPassword": "a brand new secret"}),
        )
        .await;
    assert_eq!(
        (changed.status, &changed.body["mustChangePassword"]),
        (StatusCode::OK, &json!(false)),
        "{}",
        changed.body
    );
    assert!(!h.cluster.password_of("newbie").unwrap().must_change);
    let fresh = changed.body["accessToken"].as_str().unwrap();
    let me = h.send(Method::PATCH, "/auth/me", Some(fresh), Some(json!({"displayName": "New"})), &[]).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
}

/// Every handler that needs "signed in and password changed" refuses a caller who must change it, with
/// the same 403; the few a caller may use before that still answer.
#[tokio::test]
async fn every_endpoint_but_the_own_account_refuses_a_password_still_to_change() {
    let h = Harness::new().await;
    let token = h.token("newbie").await;
    let refused: &[(Method, &str, Value)] = &[
        (Method::PATCH, "/auth/me", json!({"displayName": "x"})),
        (Method::GET, "/auth/users", Value::Null),
        (Method::POST, "/auth/users", json!({"username": "nina", "password": "long enough pw"})),
        (Method::POST, "/auth/users/vera/password", json!({"newPassword": "long enough pw"})),
        (Method::POST, "/auth/users/vera/disable", Value::Null),
        (Method::POST, "/auth/users/vera/enable", Value::Null),
        (
            Method::POST,
            "/auth/tokens",
            json!({"name": "ci", "daysUntilExpiry": 1, "currentPassword": PASSWORD}),
        ),
        (Method::POST, "/auth/projects", json!({"name": "beta"})),
        (Method::POST, "/auth/projects/alpha/members", json!({"user": "otto", "role": "Viewer"})),
        (Method::PUT, "/auth/projects/alpha/members/vera", json!({"role": "Editor"})),
        (Method::DELETE, "/auth/projects/alpha/members/vera", Value::Null),
        (Method::POST, "/auth/projects/alpha/leave", Value::Null),
        (Method::POST, "/api/graphql", json!({"query": "{ projects { name } }"})),
    ];
    for (method, path, body) in refused {
        let body = (!body.is_null()).then(|| body.clone());
        let answer = h.send(method.clone(), path, Some(&token), body, &[]).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{method} {path}: {}", answer.body);
        assert!(answer.error().starts_with("change your password first"), "{method} {path}: {}", answer.body);
    }
    for path in ["/auth/me", "/auth/tokens", "/auth/projects"] {
        assert_eq!(h.get(path, Some(&token)).await.status, StatusCode::OK, "{path}");
    }
    assert_eq!(h.cluster.stored_project("alpha").unwrap().spec.members.len(), 4, "nothing changed");
    assert!(h.cluster.stored_user("nina").is_none());
}

/// Without a valid bearer token every endpoint but login (and the cookie's refresh and logout) is a 401.
#[tokio::test]
async fn every_endpoint_refuses_an_anonymous_or_invalid_caller() {
    let h = Harness::new().await;
    let endpoints: &[(Method, &str)] = &[
        (Method::GET, "/auth/me"),
        (Method::PATCH, "/auth/me"),
        (Method::POST, "/auth/password"),
        (Method::GET, "/auth/users"),
        (Method::POST, "/auth/users"),
        (Method::POST, "/auth/users/vera/password"),
        (Method::POST, "/auth/users/vera/disable"),
        (Method::POST, "/auth/users/vera/enable"),
        (Method::GET, "/auth/tokens"),
        (Method::POST, "/auth/tokens"),
        (Method::DELETE, "/auth/tokens/abc"),
        (Method::GET, "/auth/projects"),
        (Method::POST, "/auth/projects"),
        (Method::POST, "/auth/projects/alpha/members"),
        (Method::PUT, "/auth/projects/alpha/members/vera"),
        (Method::DELETE, "/auth/projects/alpha/members/vera"),
        (Method::POST, "/auth/projects/alpha/leave"),
        (Method::POST, "/api/graphql"),
    ];
    let forged = {
        let other = TokenKeys::new(&[9; 32], "chaoscenter", "chaoscenter-api").unwrap();
        let claims = Claims {
            sub: "root".into(),
            uid: h.cluster.stored_user("root").unwrap().metadata.uid.unwrap(),
            iss: "chaoscenter".into(),
            aud: "chaoscenter-api".into(),
            exp: unix_now() + 600,
            iat: unix_now(),
            jti: random_id(),
            kind: TokenKind::Api,
            sid: None,
            gen: 0,
            pwc: false,
        };
        format!("Bearer {}", other.sign(&claims))
    };
    for (method, path) in endpoints {
        let none = h.send(method.clone(), path, None, Some(json!({})), &[]).await;
        assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{method} {path}: {}", none.body);
        assert!(none.error().contains("sign in first"), "{method} {path}: {}", none.body);
        for authorization in ["Basic cm9vdDpwdw==", "Bearer not-a-jwt", forged.as_str()] {
            let bad = h
                .send(method.clone(), path, None, Some(json!({})), &[("authorization", authorization)])
                .await;
            assert_eq!(
                bad.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {authorization}: {}",
                bad.body
            );
        }
    }
}

#[tokio::test]
async fn a_token_ends_with_its_user_its_uid_and_its_generation() {
    let h = Harness::new().await;
    let token = h.token("otto").await;
    assert_eq!(h.get("/auth/me", Some(&token)).await.status, StatusCode::OK);
    h.tokens.invalidate_user("otto").await.unwrap();
    let moved = h.get("/auth/me", Some(&token)).await;
    assert_eq!(moved.status, StatusCode::UNAUTHORIZED, "{}", moved.body);

    let token = h.token("otto").await;
    h.cluster.set_user_field("otto", "disabled", json!(true));
    let disabled = h.get("/auth/me", Some(&token)).await;
    assert_eq!((disabled.status, disabled.error()), (StatusCode::UNAUTHORIZED, "the user is disabled"));
    h.cluster.set_user_field("otto", "disabled", json!(false));

    h.cluster.delete_user("otto");
    let gone = h.get("/auth/me", Some(&token)).await;
    assert_eq!((gone.status, gone.error()), (StatusCode::UNAUTHORIZED, "the user no longer exists"));
    h.cluster.add_user("otto", GlobalRole::User, None);
    let other = h.get("/auth/me", Some(&token)).await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    assert!(other.error().contains("earlier user of this name"), "{}", other.error());
}

const CSRF: (&str, &str) = ("x-chaoscenter-csrf", "1");

#[tokio::test]
async fn refresh_rotates_the_cookie_and_a_reused_one_ends_the_session() {
    let h = Harness::new().await;
    let login = h.login("vera", PASSWORD).await;
    let first = login.cookie().unwrap();
    let cookie = |token: &str| format!("chaoscenter_refresh={token}");
    let refresh = |token: String, csrf: bool| {
        let h = &h;
        async move {
            let cookie = cookie(&token);
            let mut headers = vec![("cookie", cookie.as_str())];
            if csrf {
                headers.push(CSRF);
            }
            h.send(Method::POST, "/auth/session/refresh", None, None, &headers).await
        }
    };
    let no_csrf = refresh(first.clone(), false).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN, "{}", no_csrf.body);
    assert!(no_csrf.error().contains("x-chaoscenter-csrf"), "{}", no_csrf.error());
    let none = h.send(Method::POST, "/auth/session/refresh", None, None, &[CSRF]).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{}", none.body);

    let rotated = refresh(first.clone(), true).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let second = rotated.cookie().unwrap();
    assert_ne!(first, second);
    let access = rotated.body["accessToken"].as_str().unwrap().to_string();
    assert_eq!(h.get("/auth/me", Some(&access)).await.status, StatusCode::OK);

    let reused = refresh(first, true).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED, "{}", reused.body);
    assert!(reused.error().contains("already been used"), "{}", reused.error());
    assert!(
        reused.headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"),
        "the cookie is cleared"
    );
    assert_eq!(refresh(second, true).await.status, StatusCode::UNAUTHORIZED, "the whole session ended");
    assert_eq!(h.get("/auth/me", Some(&access)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.tokens.sessions_of("vera"), 0);
}

#[tokio::test]
async fn a_session_started_at_an_older_generation_ends_at_its_next_refresh() {
    let h = Harness::new().await;
    let refresh = |token: String| {
        let h = &h;
        async move {
            let cookie = format!("chaoscenter_refresh={token}");
            h.send(Method::POST, "/auth/session/refresh", None, None, &[("cookie", cookie.as_str()), CSRF])
                .await
        }
    };
    let before = h.tokens.generation("vera").await.unwrap();
    let (_, current) = h.session("vera", before).await;
    assert_eq!(
        refresh(current).await.status,
        StatusCode::OK,
        "a session at the current generation refreshes"
    );
    // the race the session's generation closes: a login checking the old password while the password
    // changes (the generation moves on, the sessions are deleted) stores its session just afterwards
    h.tokens.invalidate_user("vera").await.unwrap();
    let (_, late) = h.session("vera", before).await;
    let refused = refresh(late).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert_eq!(h.tokens.sessions_of("vera"), 0, "and the session is gone");
}

#[tokio::test]
async fn logout_ends_the_session_by_bearer_or_by_cookie() {
    let h = Harness::new().await;
    let token = h.token("vera").await;
    let out = h.send(Method::POST, "/auth/session/logout", Some(&token), None, &[]).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(h.get("/auth/me", Some(&token)).await.status, StatusCode::UNAUTHORIZED);

    let login = h.login("eddie", PASSWORD).await;
    let (access, cookie) = (login.body["accessToken"].as_str().unwrap().to_string(), login.cookie().unwrap());
    let cookie = format!("chaoscenter_refresh={cookie}");
    let no_csrf = h.send(Method::POST, "/auth/session/logout", None, None, &[("cookie", &cookie)]).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN, "{}", no_csrf.body);
    assert_eq!(h.get("/auth/me", Some(&access)).await.status, StatusCode::OK, "still signed in");
    let by_cookie =
        h.send(Method::POST, "/auth/session/logout", None, None, &[("cookie", &cookie), CSRF]).await;
    assert_eq!(by_cookie.status, StatusCode::NO_CONTENT, "{}", by_cookie.body);
    assert_eq!(
        h.get("/auth/me", Some(&access)).await.status,
        StatusCode::UNAUTHORIZED,
        "its access tokens end too"
    );

    let nothing = h.send(Method::POST, "/auth/session/logout", None, None, &[]).await;
    assert_eq!(nothing.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn me_shows_the_caller_and_patch_changes_only_name_and_email() {
    let h = Harness::new().await;
    let token = h.token("eddie").await;
    let me = h.get("/auth/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["projects"], json!([{"project": "alpha", "role": "Editor"}]), "{}", me.body);
    assert_eq!(me.body["mustChangePassword"], false);
    let patch = |body: Value| h.send(Method::PATCH, "/auth/me", Some(&token), Some(body), &[]);
    let ok = patch(json!({"displayName": "Eddie E.", "email": "eddie@example.com"})).await;
    assert_eq!((ok.status, &ok.body["displayName"]), (StatusCode::OK, &json!("Eddie E.")), "{}", ok.body);
    assert_eq!(h.cluster.stored_user("eddie").unwrap().spec.email, "eddie@example.com");
    let bad = patch(json!({"email": "not an email"})).await;
    assert_eq!((bad.status, bad.error()), (StatusCode::BAD_REQUEST, "email: not an email address"));
    let long = patch(json!({"displayName": "x".repeat(129)})).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);
    let nothing = patch(json!({})).await;
    assert_eq!(nothing.status, StatusCode::BAD_REQUEST);
    let role = patch(json!({"role": "Admin"})).await;
    assert_eq!(role.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", role.body);
    assert_eq!(h.cluster.stored_user("eddie").unwrap().spec.role, GlobalRole::User);
}

#[tokio::test]
async fn a_password_change_ends_every_old_token_and_checks_its_input() {
    let h = Harness::new().await;
    let token = h.token("vera").await;
    let change = |current: &str, new: &str| {
        h.post("/auth/password", Some(&token), json!({"currentPassword": current, "newPassword": new}))
    };
    let short = change(PASSWORD, "short").await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.error().starts_with("newPassword:"), "{}", short.error());
    let same = change(PASSWORD, PASSWORD).await;
    assert_eq!(same.status, StatusCode::BAD_REQUEST);
    let wrong = change("not my password", "another good one").await;
    assert_eq!((wrong.status, wrong.error()), (StatusCode::FORBIDDEN, "the current password is wrong"));
    let ok = change(PASSWORD, "another good one").await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(ok.cookie().is_some(), "a new session");
    assert_eq!(h.get("/auth/me", Some(&token)).await.status, StatusCode::UNAUTHORIZED, "the old token ended");
    let fresh = ok.body["accessToken"].as_str().unwrap();
    assert_eq!(h.get("/auth/me", Some(fresh)).await.status, StatusCode::OK);
    assert_eq!(h.login("vera", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn only_admins_list_and_create_users() {
    let h = Harness::new().await;
    let (root, olivia) = (h.token("root").await, h.token("olivia").await);
    let list = h.get("/auth/users", Some(&root)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 6, "{}", list.body);
    let denied = h.get("/auth/users", Some(&olivia)).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert!(denied.error().starts_with("forbidden: "), "RBAC's answer, shown: {}", denied.error());

    let create = |token: &str, body: Value| h.post("/auth/users", Some(token), body);
    let nina = json!({"username": "nina", "password": "a fine password", "role": "user"});
    let by_owner = create(&olivia, nina.clone()).await;
    assert_eq!(by_owner.status, StatusCode::FORBIDDEN, "{}", by_owner.body);
    assert!(h.cluster.password_of("nina").is_none(), "no password written without the user");
    let created = create(&root, nina.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["username"], "nina");
    assert!(h.cluster.password_of("nina").unwrap().must_change, "changed at first login");
    assert!(h.history.audit_log().contains(&("root".into(), "create".into(), "nina".into())));
    let again = create(&root, nina).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let bad_name = create(&root, json!({"username": "Nina!", "password": "a fine password"})).await;
    assert_eq!(bad_name.status, StatusCode::BAD_REQUEST);
    assert!(bad_name.error().starts_with("username:"), "{}", bad_name.error());
    let weak = create(&root, json!({"username": "nora", "password": "nora"})).await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(weak.error().starts_with("password:"), "{}", weak.error());
    let bad_role =
        create(&root, json!({"username": "nora", "password": "a fine password", "role": "God"})).await;
    assert_eq!(bad_role.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_admin_resets_a_password_and_the_users_tokens_end() {
    let h = Harness::new().await;
    let (root, olivia, vera) = (h.token("root").await, h.token("olivia").await, h.token("vera").await);
    let reset = |token: &str, user: &str, password: &str| {
        h.post(&format!("/auth/users/{user}/password"), Some(token), json!({"newPassword": password}))
    };
    assert_eq!(reset(&olivia, "vera", "a new password").await.status, StatusCode::FORBIDDEN);
    assert_eq!(h.get("/auth/me", Some(&vera)).await.status, StatusCode::OK, "nothing happened");
    assert_eq!(reset(&root, "vera", "short").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(reset(&root, "ghost", "a new password").await.status, StatusCode::NOT_FOUND);
    let ok = reset(&root, "vera", "a new password").await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.body);
    assert_eq!(h.get("/auth/me", Some(&vera)).await.status, StatusCode::UNAUTHORIZED);
    assert!(h.cluster.password_of("vera").unwrap().must_change);
    assert!(h.history.audit_log().contains(&("root".into(), "reset-password".into(), "vera".into())));
}

#[tokio::test]
async fn an_admin_disables_and_enables_a_user() {
    let h = Harness::new().await;
    let (root, olivia, eddie) = (h.token("root").await, h.token("olivia").await, h.token("eddie").await);
    let post = |token: &str, path: &str| h.send(Method::POST, path, Some(token), None, &[]);
    assert_eq!(post(&olivia, "/auth/users/eddie/disable").await.status, StatusCode::FORBIDDEN);
    let myself = post(&root, "/auth/users/root/disable").await;
    assert_eq!((myself.status, myself.error()), (StatusCode::BAD_REQUEST, "you cannot disable yourself"));
    assert_eq!(post(&root, "/auth/users/ghost/disable").await.status, StatusCode::NOT_FOUND);
    let disabled = post(&root, "/auth/users/eddie/disable").await;
    assert_eq!(
        (disabled.status, &disabled.body["disabled"]),
        (StatusCode::OK, &json!(true)),
        "{}",
        disabled.body
    );
    assert_eq!(h.get("/auth/me", Some(&eddie)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.login("eddie", PASSWORD).await.status, StatusCode::UNAUTHORIZED, "as a wrong password");
    let enabled = post(&root, "/auth/users/eddie/enable").await;
    assert_eq!((enabled.status, &enabled.body["disabled"]), (StatusCode::OK, &json!(false)));
    assert_eq!(
        h.get("/auth/me", Some(&eddie)).await.status,
        StatusCode::UNAUTHORIZED,
        "old tokens stay ended"
    );
    assert_eq!(post(&olivia, "/auth/users/eddie/enable").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn api_tokens_are_created_with_the_password_listed_and_revoked() {
    let h = Harness::new().await;
    let vera = h.token("vera").await;
    let create = |body: Value| h.post("/auth/tokens", Some(&vera), body);
    let asks = |name: &str, days: u32, password: Option<&str>| {
        let mut body = json!({"name": name, "daysUntilExpiry": days});
        if let Some(p) = password {
            body["currentPassword"] = json!(p);
        }
        body
    };
    let no_password = create(asks("ci", 30, None)).await;
    assert_eq!(no_password.status, StatusCode::BAD_REQUEST);
    assert!(no_password.error().starts_with("currentPassword:"), "{}", no_password.error());
    assert_eq!(create(asks("", 30, Some(PASSWORD))).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(create(asks("ci", 0, Some(PASSWORD))).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(create(asks("ci", 366, Some(PASSWORD))).await.status, StatusCode::BAD_REQUEST);
    let wrong = create(asks("ci", 30, Some("not my password"))).await;
    assert_eq!(
        (wrong.status, wrong.error()),
        (StatusCode::FORBIDDEN, "currentPassword: the password is wrong")
    );

    let created = create(asks("ci", 30, Some(PASSWORD))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let (id, api) = (
        created.body["id"].as_str().unwrap().to_string(),
        created.body["token"].as_str().unwrap().to_string(),
    );
    assert_eq!(h.get("/auth/me", Some(&api)).await.body["username"], "vera");
    let by_api = h.post("/auth/tokens", Some(&api), asks("more", 1, Some(PASSWORD))).await;
    assert_eq!(by_api.status, StatusCode::FORBIDDEN, "an API token cannot mint another");
    let logout = h.send(Method::POST, "/auth/session/logout", Some(&api), None, &[]).await;
    assert_eq!(logout.status, StatusCode::BAD_REQUEST, "{}", logout.body);

    let list = h.get("/auth/tokens", Some(&vera)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(list.body[0]["id"], id.as_str());
    assert!(list.body[0].get("token").is_none(), "the token is shown once");
    let otto = h.token("otto").await;
    let not_theirs = h.send(Method::DELETE, &format!("/auth/tokens/{id}"), Some(&otto), None, &[]).await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND);
    let revoked = h.send(Method::DELETE, &format!("/auth/tokens/{id}"), Some(&vera), None, &[]).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(h.get("/auth/me", Some(&api)).await.status, StatusCode::UNAUTHORIZED);
    let again = h.send(Method::DELETE, &format!("/auth/tokens/{id}"), Some(&vera), None, &[]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn projects_are_listed_for_members_and_created_by_admins() {
    let h = Harness::new().await;
    let (root, vera, otto) = (h.token("root").await, h.token("vera").await, h.token("otto").await);
    let mine = h.get("/auth/projects", Some(&vera)).await;
    assert_eq!(mine.body.as_array().unwrap().len(), 1, "{}", mine.body);
    assert_eq!((&mine.body[0]["name"], &mine.body[0]["myRole"]), (&json!("alpha"), &json!("Viewer")));
    assert_eq!(mine.body[0]["namespace"], "alpha-chaos");
    assert_eq!(h.get("/auth/projects", Some(&otto)).await.body, json!([]));
    let all = h.get("/auth/projects", Some(&root)).await;
    assert_eq!((&all.body[0]["name"], &all.body[0]["myRole"]), (&json!("alpha"), &Value::Null));

    let create = |token: &str, body: Value| h.post("/auth/projects", Some(token), body);
    assert_eq!(create(&vera, json!({"name": "beta"})).await.status, StatusCode::FORBIDDEN);
    let bad = create(&root, json!({"name": "Beta!"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.error().starts_with("name:"), "{}", bad.error());
    assert_eq!(create(&root, json!({"name": "alpha"})).await.status, StatusCode::CONFLICT);
    let beta = create(&root, json!({"name": "beta", "displayName": "Beta"})).await;
    assert_eq!(beta.status, StatusCode::CREATED, "{}", beta.body);
    assert_eq!(beta.body["members"], json!([{"user": "root", "role": "Owner"}]));
    assert!(h.history.audit_log().contains(&("root".into(), "create".into(), "beta".into())));
}

#[tokio::test]
async fn owners_add_members_and_nobody_else_may() {
    let h = Harness::new().await;
    let add = |user: &str, body: Value| {
        let h = &h;
        let user = user.to_string();
        async move {
            let token = h.token(&user).await;
            h.post("/auth/projects/alpha/members", Some(&token), body).await
        }
    };
    let otto = json!({"user": "otto", "role": "Viewer"});
    for who in ["eddie", "vera", "otto"] {
        let denied = add(who, otto.clone()).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN, "{who}: {}", denied.body);
    }
    assert_eq!(
        add("olivia", json!({"user": "ghost", "role": "Viewer"})).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        add("olivia", json!({"user": "Not A Name", "role": "Viewer"})).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        add("olivia", json!({"user": "otto", "role": "King"})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let dup = add("olivia", json!({"user": "vera", "role": "Editor"})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let added = add("olivia", otto.clone()).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(added.body["members"].as_array().unwrap().contains(&json!({"user": "otto", "role": "Viewer"})));
    assert!(h.history.audit_log().contains(&("olivia".into(), "add-member".into(), "alpha".into())));
    let root = h.token("root").await;
    let elsewhere = h.post("/auth/projects/nowhere/members", Some(&root), otto).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND, "{}", elsewhere.body);
}

#[tokio::test]
async fn owners_change_roles_and_remove_members_but_never_the_last_owner() {
    let h = Harness::new().await;
    let (olivia, eddie) = (h.token("olivia").await, h.token("eddie").await);
    let role = |token: &str, user: &str, role: &str| {
        h.send(
            Method::PUT,
            &format!("/auth/projects/alpha/members/{user}"),
            Some(token),
            Some(json!({"role": role})),
            &[],
        )
    };
    let remove = |token: &str, user: &str| {
        h.send(Method::DELETE, &format!("/auth/projects/alpha/members/{user}"), Some(token), None, &[])
    };
    assert_eq!(role(&eddie, "vera", "Owner").await.status, StatusCode::FORBIDDEN);
    assert_eq!(remove(&eddie, "vera").await.status, StatusCode::FORBIDDEN);
    assert_eq!(role(&olivia, "otto", "Editor").await.status, StatusCode::NOT_FOUND);
    assert_eq!(remove(&olivia, "otto").await.status, StatusCode::NOT_FOUND);
    let last = role(&olivia, "olivia", "Viewer").await;
    assert_eq!((last.status, last.error()), (StatusCode::CONFLICT, "a project must keep at least one Owner"));
    assert_eq!(remove(&olivia, "olivia").await.status, StatusCode::CONFLICT);
    let changed = role(&olivia, "vera", "Editor").await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let removed = remove(&olivia, "eddie").await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let members = h.cluster.stored_project("alpha").unwrap().spec.members;
    assert!(members.iter().any(|m| m.user == "vera" && m.role == Role::Editor));
    assert!(!members.iter().any(|m| m.user == "eddie"));
    assert_eq!(remove(&eddie, "vera").await.status, StatusCode::FORBIDDEN, "a removed member has no say");
    let log = h.history.audit_log();
    assert!(log.contains(&("olivia".into(), "change-role".into(), "alpha".into())));
    assert!(log.contains(&("olivia".into(), "remove-member".into(), "alpha".into())));
}

#[tokio::test]
async fn a_member_leaves_only_by_themselves() {
    let h = Harness::new().await;
    let leave = |user: &str, project: &str, body: Option<Value>| {
        let h = &h;
        let (user, path) = (user.to_string(), format!("/auth/projects/{project}/leave"));
        async move {
            let token = h.token(&user).await;
            h.send(Method::POST, &path, Some(&token), body, &[]).await
        }
    };
    let naming = leave("vera", "alpha", Some(json!({"user": "eddie"}))).await;
    assert_eq!(naming.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", naming.body);
    assert_eq!(leave("otto", "alpha", None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(leave("vera", "nowhere", None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(leave("olivia", "alpha", None).await.status, StatusCode::CONFLICT, "the last Owner stays");
    let left = leave("vera", "alpha", Some(json!({}))).await;
    assert_eq!(left.status, StatusCode::NO_CONTENT, "{}", left.body);
    let members = h.cluster.stored_project("alpha").unwrap().spec.members;
    assert!(!members.iter().any(|m| m.user == "vera") && members.iter().any(|m| m.user == "eddie"));
    assert!(h.history.audit_log().contains(&("vera".into(), "leave".into(), "alpha".into())));
}

#[tokio::test]
async fn errors_are_json_with_security_headers_and_unknown_api_paths_are_404() {
    let h = Harness::new().await;
    let missing = h.get("/auth/nothing-here", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error(), "no such API endpoint");
    assert_eq!(missing.headers["x-content-type-options"], "nosniff");
    assert!(missing.headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(h.get("/healthz", None).await.status, StatusCode::OK);
}

impl Harness {
    /// A GraphQL request's answer as `user`.
    pub async fn graphql(&self, user: &str, query: &str, variables: Value) -> Answer {
        let token = self.token(user).await;
        self.post("/api/graphql", Some(&token), json!({"query": query, "variables": variables})).await
    }
}

/// The `extensions.code` of a GraphQL answer's first error, if any.
pub fn code(answer: &Answer) -> Option<&str> {
    answer.body["errors"][0]["extensions"]["code"].as_str()
}

#[tokio::test]
async fn graphql_sees_the_callers_projects_and_writes_through_their_rbac() {
    let h = Harness::new().await;
    let projects = "{ projects { name } }";
    assert_eq!(
        h.graphql("vera", projects, json!({})).await.body["data"]["projects"],
        json!([{"name": "alpha"}])
    );
    assert_eq!(h.graphql("otto", projects, json!({})).await.body["data"]["projects"], json!([]));
    let create = "mutation($p: String!, $s: JSON!) { createWorkflow(project: $p, name: \"kill-web\", spec: $s) { name namespace } }";
    let spec = json!({"steps": [{"name": "kill", "fault": {"type": "pod-delete",
        "target": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}}}}]});
    let vars = json!({"p": "alpha", "s": spec});
    let viewer = h.graphql("vera", create, vars.clone()).await;
    assert_eq!(code(&viewer), Some("FORBIDDEN"), "RBAC refuses a Viewer: {}", viewer.body);
    assert!(
        viewer.body["errors"][0]["message"].as_str().unwrap().starts_with("forbidden: "),
        "{}",
        viewer.body
    );
    let outsider = h.graphql("otto", create, vars.clone()).await;
    assert_eq!(code(&outsider), Some("FORBIDDEN"), "{}", outsider.body);
    let editor = h.graphql("eddie", create, vars.clone()).await;
    assert_eq!(
        editor.body["data"]["createWorkflow"],
        json!({"name": "kill-web", "namespace": "alpha-chaos"}),
        "{}",
        editor.body
    );
    assert_eq!(h.cluster.stored("chaosworkflows", "alpha-chaos").len(), 1);
    let again = h.graphql("eddie", create, vars).await;
    assert_eq!(code(&again), Some("CONFLICT"), "the API's 409, mapped as for REST: {}", again.body);
}
