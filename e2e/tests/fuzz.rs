//! Fuzzing the apiserver at its edges, against the real thing: generated bodies, headers and paths for
//! every `/auth` endpoint, GraphQL documents within and past the limits, and workflow YAML through
//! createWorkflow and updateWorkflow. Whatever arrives: an answer (never a dropped connection, never later
//! than the request time limit), never a 5xx, every refusal a 4xx or GraphQL error with a message, no
//! password or token echoed, the server still up and healthy, nothing half-written, and no data of a
//! project the caller is not a member of. Each group runs a fixed number of cases from a fixed seed.

// the workflow YAML the validator's property tests fuzz with, fuzzed here through the API
#[path = "../../core/tests/common/hostile_yaml.rs"]
mod hostile_yaml;

use chaoscenter_crds::access::project_namespace;
use chaoscenter_crds::ChaosWorkflow;
use chaoscenter_e2e::access::{admin_token, new_user, with_access, AccessWorld, Answer, Apiserver, Req};
use chaoscenter_e2e::history::{created_ms, cursor_after, run_name, run_uid, seed_runs};
use chaoscenter_e2e::wait_for;
use hostile_yaml::{base_workflow, child, nested, replace, value_paths, Splices, RAW_YAML};
use kube::api::Api;
use kube::ResourceExt;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use serde_json::{json, Value};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(90);
/// Every group's seed: each run sends the same inputs. `PROPTEST_RNG_SEED` explores others and
/// `PROPTEST_CASES` sets the number of cases of each group.
const SEED: u64 = 20_260_112;
/// The largest GraphQL request body (`app.rs`).
const GRAPHQL_BODY_LIMIT: usize = 256 * 1024;
/// The longest an answer may take: the apiserver's own request limit for GraphQL (15 s) plus slack for a
/// loaded machine. A request that takes longer holds a worker past every limit.
const SLOWEST: Duration = Duration::from_secs(30);

// ---- running cases -------------------------------------------------------------------------------

/// Runs `check` on `cases` values of `strategy` from the fixed seed, blocking on this multi-thread
/// runtime; prints how many cases ran and how long they took, and panics with the (shrunk) failing case.
fn fuzz<S: Strategy>(
    group: &str,
    cases: u32,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let defaults = Config::default();
    let config = Config {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(cases),
        rng_seed: match defaults.rng_seed {
            RngSeed::Random => RngSeed::Fixed(SEED),
            fixed => fixed,
        },
        failure_persistence: None,
        // each case talks to the server: shrink a failure for at most a minute
        max_shrink_iters: 100,
        max_shrink_time: 60_000,
        ..defaults
    };
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    let started = Instant::now();
    let result = tokio::task::block_in_place(|| runner.run(&strategy, check));
    eprintln!("fuzz {group}: {cases} cases in {:.1} s", started.elapsed().as_secs_f64());
    if let Err(err) = result {
        panic!("fuzz {group}: {err}");
    }
}

/// Runs a future to completion from a case (inside [`fuzz`], on the test's runtime).
fn block<F: Future>(future: F) -> F::Output {
    tokio::runtime::Handle::current().block_on(future)
}

fn fail(message: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(message.into())
}

/// The first 400 characters, for messages.
fn short(text: &str) -> String {
    let cut: String = text.chars().take(400).collect();
    if cut.len() < text.len() {
        format!("{cut}… ({} bytes)", text.len())
    } else {
        cut
    }
}

/// Sends one request: the answer, or a failure when none came (a dropped connection: a handler that
/// panicked) or it came later than [`SLOWEST`].
async fn exchange(api: &Apiserver, method: &str, path: &str, req: Req<'_>) -> Result<Answer, TestCaseError> {
    timed(api, method, path, req)
        .await?
        .map_err(|e| fail(format!("{method} {}: no answer (a dropped connection?): {e}", short(path))))
}

/// Like [`exchange`], with the client's error (if it got no answer) to inspect.
async fn timed(
    api: &Apiserver,
    method: &str,
    path: &str,
    req: Req<'_>,
) -> Result<reqwest::Result<Answer>, TestCaseError> {
    let started = Instant::now();
    let answer = tokio::time::timeout(SLOWEST * 4, api.try_request(method, path, req))
        .await
        .map_err(|_| fail(format!("{method} {}: no answer in {:?}", short(path), SLOWEST * 4)))?;
    let took = started.elapsed();
    if took > SLOWEST {
        return Err(fail(format!(
            "{method} {}: answered {:?} after {took:?}, past the {SLOWEST:?} any request may take",
            short(path),
            answer.as_ref().map(|a| a.status)
        )));
    }
    Ok(answer)
}

/// The apiserver is still running and answers `/healthz`.
async fn healthy(api: &Apiserver) -> Result<(), TestCaseError> {
    let pid = api.pid().ok_or_else(|| fail("the apiserver is not running"))?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let gone = status.is_empty() || status.lines().any(|l| l.starts_with("State:") && l.contains('Z'));
    if gone {
        let logs = api.logs();
        let tail: Vec<&str> = logs.lines().rev().take(20).collect();
        return Err(fail(format!("the apiserver (pid {pid}) exited:\n{}", tail.join("\n"))));
    }
    let answer = exchange(api, "GET", "/healthz", Req::default()).await?;
    prop_assert_eq!(answer.status, 200, "/healthz: {}", answer.text);
    Ok(())
}

/// Never a 5xx; a 4xx says why in `{"error": "<message>"}`.
fn check_status(answer: &Answer, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(answer.status < 500, "{}: answered {} {}", what, answer.status, short(&answer.text));
    if answer.status >= 400 {
        let message = answer.body["error"].as_str().unwrap_or_default();
        prop_assert!(
            !message.trim().is_empty(),
            "{}: a {} without a message in {{\"error\": ...}}: {:?}",
            what,
            answer.status,
            short(&answer.text)
        );
    }
    Ok(())
}

/// Every string of a JSON value (object keys too).
fn strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k);
                strings(v, out);
            }
        }
        _ => {}
    }
}

/// None of `secrets` (passwords and tokens sent) is in the answer: its body, decoded or not, or headers.
fn check_no_echo(answer: &Answer, secrets: &[String], what: &str) -> Result<(), TestCaseError> {
    let mut texts = vec![answer.text.as_str()];
    strings(&answer.body, &mut texts);
    let headers: Vec<String> = answer
        .headers
        .iter()
        .map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())))
        .collect();
    texts.extend(headers.iter().map(String::as_str));
    for secret in secrets {
        prop_assert!(
            !texts.iter().any(|t| t.contains(secret.as_str())),
            "{}: the answer echoes {:?}, sent as a password or token: {}",
            what,
            short(secret),
            short(&answer.text)
        );
    }
    Ok(())
}

// ---- generated values ------------------------------------------------------------------------------

/// Text as users (and attackers) type it: empty, names, any printable unicode, control characters,
/// right-to-left and zero-width marks, SQL and template syntax, and long strings.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        2 => Just(String::new()),
        4 => "[a-z][a-z0-9-]{0,15}",
        4 => "\\PC{0,40}",
        2 => "[\\x00-\\x1f\\x7f]{1,8}",
        1 => Just("\u{202e}\u{200b}\u{feff}é☃𝕏".to_string()),
        1 => Just("'; DROP TABLE users; --{{7*7}}${7*7}".to_string()),
        1 => Just("\\u0000\\\"".to_string()),
        1 => (1usize..5000).prop_map(|n| "a".repeat(n)),
        1 => Just("x".repeat(70_000)),
    ]
    .boxed()
}

/// A number as JSON text, also past what any integer type holds.
fn raw_number() -> BoxedStrategy<String> {
    prop_oneof![
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("1".to_string()),
        Just("4294967296".to_string()),
        Just("-9223372036854775809".to_string()),
        Just("18446744073709551616".to_string()),
        Just("99999999999999999999999999999".to_string()),
        Just("1e400".to_string()),
        Just("-1e400".to_string()),
        Just("1.5".to_string()),
        Just("-0".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
    ]
    .boxed()
}

fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |x| x.is_finite()).prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec(("[a-zA-Z]{1,10}", inner), 0..5)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Any JSON value as text, numbers included that no parser's integer holds.
fn any_raw() -> BoxedStrategy<String> {
    prop_oneof![3 => json_value().prop_map(|v| v.to_string()), 1 => raw_number()].boxed()
}

fn js(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// Percent-encodes `s` for a path segment (every byte but the unreserved ones).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A path segment, already encoded: names, any text, invalid UTF-8 and NUL, dot segments, encoded
/// slashes, a lone `%`, and a very long one.
fn segment() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-z][a-z0-9-]{0,15}",
        3 => text().prop_map(|s| encode(&s.chars().take(2000).collect::<String>())),
        1 => Just("%FF%FE".to_string()),
        1 => Just("%00".to_string()),
        1 => Just("..".to_string()),
        1 => Just("%2e%2e".to_string()),
        1 => Just("a%2Fb".to_string()),
        1 => Just("%".to_string()),
        1 => Just("x".repeat(5000)),
    ]
    .boxed()
}

/// A header value (visible ASCII and spaces: what an HTTP client can send).
fn header_value(max: usize) -> BoxedStrategy<String> {
    proptest::string::string_regex(&format!("[ -~]{{0,{max}}}")).expect("a valid pattern").boxed()
}

// ---- REST --------------------------------------------------------------------------------------------

/// What a body field holds, for generating right-shaped bodies.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Str,
    Email,
    /// An existing user's name (or not).
    User,
    /// A name for a new user.
    NewUser,
    /// A name for a new project.
    NewProject,
    /// A password that is never the caller's.
    Secret,
    /// A password, sometimes the Viewer's real one (logins and API tokens then succeed).
    MyPassword,
    Days,
    Role,
    GlobalRole,
    Names,
}

struct Endpoint {
    method: &'static str,
    /// With `{user}`, `{project}`, `{id}` or `{seg}` for path parameters.
    path: &'static str,
    fields: &'static [(&'static str, Kind)],
}

/// Every route of `apiserver/src/auth/mod.rs`, and one that does not exist.
const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "POST",
        path: "/auth/login",
        fields: &[("username", Kind::User), ("password", Kind::MyPassword)],
    },
    Endpoint { method: "POST", path: "/auth/session/refresh", fields: &[] },
    Endpoint { method: "POST", path: "/auth/session/logout", fields: &[] },
    Endpoint { method: "GET", path: "/auth/me", fields: &[] },
    Endpoint {
        method: "PATCH",
        path: "/auth/me",
        fields: &[("displayName", Kind::Str), ("email", Kind::Email)],
    },
    Endpoint {
        method: "POST",
        path: "/auth/password",
        fields: &[("currentPassword", Kind::Secret), ("newPassword", Kind::Secret)],
    },
    Endpoint { method: "GET", path: "/auth/users", fields: &[] },
    Endpoint {
        method: "POST",
        path: "/auth/users",
        fields: &[
            ("username", Kind::NewUser),
            ("password", Kind::Secret),
            ("displayName", Kind::Str),
            ("email", Kind::Email),
            ("role", Kind::GlobalRole),
        ],
    },
    Endpoint {
        method: "POST",
        path: "/auth/users/{user}/password",
        fields: &[("newPassword", Kind::Secret)],
    },
    Endpoint { method: "POST", path: "/auth/users/{user}/disable", fields: &[] },
    Endpoint { method: "POST", path: "/auth/users/{user}/enable", fields: &[] },
    Endpoint { method: "GET", path: "/auth/tokens", fields: &[] },
    Endpoint {
        method: "POST",
        path: "/auth/tokens",
        fields: &[
            ("name", Kind::Str),
            ("daysUntilExpiry", Kind::Days),
            ("currentPassword", Kind::MyPassword),
        ],
    },
    Endpoint { method: "DELETE", path: "/auth/tokens/{id}", fields: &[] },
    Endpoint { method: "GET", path: "/auth/projects", fields: &[] },
    Endpoint {
        method: "POST",
        path: "/auth/projects",
        fields: &[
            ("name", Kind::NewProject),
            ("displayName", Kind::Str),
            ("description", Kind::Str),
            ("targetNamespaces", Kind::Names),
        ],
    },
    Endpoint {
        method: "POST",
        path: "/auth/projects/{project}/members",
        fields: &[("user", Kind::User), ("role", Kind::Role)],
    },
    Endpoint {
        method: "PUT",
        path: "/auth/projects/{project}/members/{user}",
        fields: &[("role", Kind::Role)],
    },
    Endpoint { method: "DELETE", path: "/auth/projects/{project}/members/{user}", fields: &[] },
    Endpoint { method: "POST", path: "/auth/projects/{project}/leave", fields: &[] },
    Endpoint { method: "GET", path: "/auth/{seg}", fields: &[] },
];

/// Who calls.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    /// Any `Authorization` value.
    Garbage,
    /// The Viewer's token with its signature changed.
    Tampered,
    Viewer,
    Admin,
}

fn who() -> BoxedStrategy<Who> {
    prop_oneof![
        1 => Just(Who::Anonymous),
        1 => Just(Who::Garbage),
        1 => Just(Who::Tampered),
        3 => Just(Who::Viewer),
        3 => Just(Who::Admin),
    ]
    .boxed()
}

/// The names a REST case may use.
struct RestNames {
    admin: String,
    viewer: String,
    viewer_password: String,
    /// A user of its own, whom admins may reset, disable and enable.
    spare: String,
    project: String,
}

#[derive(Clone, Debug)]
enum Bytes {
    Nothing,
    Text(String),
    Raw(Vec<u8>),
    /// A JSON body of this many bytes (past the 2 MiB limit).
    Oversized(usize),
}

#[derive(Clone, Debug)]
struct Payload {
    content_type: Option<String>,
    bytes: Bytes,
    /// The passwords the body carries (checked when at least 10 characters).
    secrets: Vec<String>,
    /// Everything else the body carries, as sent (a secret also found here is no secret).
    plain: String,
}

fn content_type() -> BoxedStrategy<Option<String>> {
    prop_oneof![
        20 => Just(Some("application/json".to_string())),
        1 => Just(Some("application/json; charset=utf-8".to_string())),
        1 => Just(None),
        1 => Just(Some("text/plain".to_string())),
        1 => Just(Some("application/x-www-form-urlencoded".to_string())),
        1 => Just(Some("multipart/form-data; boundary=x".to_string())),
        1 => Just(Some("application/jsonx".to_string())),
        1 => header_value(30).prop_map(Some),
    ]
    .boxed()
}

fn secret() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[A-Za-z0-9]{12,24}".prop_map(|s| format!("S{s}")),
        2 => text(),
        1 => "[a-z]{1,7}",
        1 => Just("p".repeat(129)),
        1 => "\\PC{8,40}",
    ]
    .boxed()
}

/// A value for a field of `kind`: its JSON text, and the password it is, if one.
fn field_value(kind: Kind, names: &Arc<RestNames>) -> BoxedStrategy<(String, Option<String>)> {
    let plain = |s: BoxedStrategy<String>| s.prop_map(|raw| (raw, None)).boxed();
    let string = |s: BoxedStrategy<String>| s.prop_map(|s| js(&s)).boxed();
    let password = || secret().prop_map(|s| (js(&s), Some(s))).boxed();
    let n = names.clone();
    match kind {
        Kind::Str => plain(prop_oneof![12 => string(text()), 1 => any_raw()].boxed()),
        Kind::Email => plain(
            prop_oneof![
                6 => string("[a-z]{1,8}@[a-z]{1,8}\\.[a-z]{2,3}".boxed()),
                3 => string(text()),
                1 => string(Just(format!("{}@{}", "a".repeat(250), "b.c")).boxed()),
                1 => any_raw(),
            ]
            .boxed(),
        ),
        Kind::User => plain(
            prop_oneof![
                6 => string(prop::sample::select(vec![n.viewer.clone(), n.admin.clone(), n.spare.clone()]).boxed()),
                3 => string("[a-z][a-z0-9-]{0,20}".boxed()),
                3 => string(text()),
                1 => any_raw(),
            ]
            .boxed(),
        ),
        Kind::NewUser => plain(
            prop_oneof![
                1 => string("fz[a-z0-9]{4,8}".boxed()),
                1 => string(Just(n.viewer.clone()).boxed()),
                4 => string(text()),
                2 => any_raw(),
            ]
            .boxed(),
        ),
        Kind::NewProject => plain(
            prop_oneof![
                1 => string("fz[a-z0-9]{4,6}".boxed()),
                2 => string(Just(n.project.clone()).boxed()),
                4 => string(text()),
                2 => any_raw(),
            ]
            .boxed(),
        ),
        Kind::Secret => prop_oneof![12 => password(), 1 => plain(any_raw())].boxed(),
        Kind::MyPassword => {
            let mine = n.viewer_password.clone();
            prop_oneof![8 => password(), 2 => Just((js(&mine), Some(mine))), 1 => plain(any_raw())].boxed()
        }
        Kind::Days => {
            plain(prop_oneof![4 => Just("30".to_string()), 6 => raw_number(), 1 => string(text()), 1 => any_raw()].boxed())
        }
        Kind::Role => plain(
            prop_oneof![
                8 => string(prop::sample::select(vec!["Owner", "Editor", "Viewer", "owner", "Admin"]).prop_map(String::from).boxed()),
                1 => string(text()),
                1 => any_raw(),
            ]
            .boxed(),
        ),
        Kind::GlobalRole => plain(
            prop_oneof![
                8 => string(prop::sample::select(vec!["admin", "user", "Admin", "root"]).prop_map(String::from).boxed()),
                1 => string(text()),
                1 => any_raw(),
            ]
            .boxed(),
        ),
        Kind::Names => plain(
            prop_oneof![
                6 => proptest::collection::vec(text(), 0..4).prop_map(|v| json!(v).to_string()),
                1 => any_raw(),
            ]
            .boxed(),
        ),
    }
}

/// A body field as sent: its key, its JSON text, and the password it is, if one.
type SentField = (String, String, Option<String>);

/// A body of the endpoint's shape: each field present (most of the time) with a value of its kind or
/// another type, sometimes a field twice or fields it does not know.
fn shaped_body(fields: &'static [(&'static str, Kind)], names: &Arc<RestNames>) -> BoxedStrategy<Payload> {
    let per_field: Vec<BoxedStrategy<Option<SentField>>> = fields
        .iter()
        .map(|(name, kind)| {
            let name = name.to_string();
            prop_oneof![
                19 => field_value(*kind, names).prop_map(move |(raw, secret)| Some((name.clone(), raw, secret))),
                1 => Just(None),
            ]
            .boxed()
        })
        .collect();
    let extra = prop_oneof![12 => Just(Vec::new()), 1 => proptest::collection::vec(("[a-zA-Z]{1,12}", any_raw()), 1..3)];
    (per_field, extra, prop::bool::weighted(0.05), content_type())
        .prop_map(|(fields, extra, twice, content_type)| {
            let mut parts = Vec::new();
            let mut secrets = Vec::new();
            let mut plain = String::new();
            for (key, raw, secret) in fields.into_iter().flatten() {
                parts.push(format!("{}: {raw}", js(&key)));
                match secret {
                    Some(s) => secrets.push(s),
                    None => plain.push_str(&raw),
                }
            }
            if twice && !parts.is_empty() {
                parts.push(parts[0].clone());
            }
            for (key, raw) in extra {
                plain.push_str(&raw);
                parts.push(format!("{}: {raw}", js(&key)));
            }
            Payload { content_type, bytes: Bytes::Text(format!("{{{}}}", parts.join(", "))), secrets, plain }
        })
        .boxed()
}

fn payload(fields: &'static [(&'static str, Kind)], names: &Arc<RestNames>) -> BoxedStrategy<Payload> {
    let unshaped = |bytes: BoxedStrategy<Bytes>| {
        (bytes, content_type())
            .prop_map(|(bytes, content_type)| Payload {
                content_type,
                bytes,
                secrets: vec![],
                plain: String::new(),
            })
            .boxed()
    };
    let broken = prop::sample::select(vec![
        "{",
        "[",
        "{\"a\":",
        "\u{feff}{}",
        "null",
        "\"x\"",
        "{\"a\": 1}}",
        "{'a': 1}",
        "1e400",
        "[]",
        "{}",
        "",
        "{\"username\": \"a\", \"password\": \"b\"} trailing",
    ]);
    prop_oneof![
        20 => shaped_body(fields, names),
        3 => unshaped(json_value().prop_map(|v| Bytes::Text(v.to_string())).boxed()),
        2 => unshaped(proptest::collection::vec(any::<u8>(), 0..300).prop_map(Bytes::Raw).boxed()),
        2 => unshaped(broken.prop_map(|s| Bytes::Text(s.to_string())).boxed()),
        2 => Just(Payload { content_type: None, bytes: Bytes::Nothing, secrets: vec![], plain: String::new() }),
        1 => unshaped((2_100_000usize..2_300_000).prop_map(Bytes::Oversized).boxed()),
    ]
    .boxed()
}

#[derive(Clone, Debug)]
struct RestCase {
    endpoint: usize,
    /// Another method than the endpoint's.
    method: Option<&'static str>,
    who: Who,
    /// The `Authorization` value for [`Who::Garbage`].
    garbage: String,
    /// The path parameters, in order.
    args: Vec<String>,
    payload: Payload,
    headers: Vec<(&'static str, String)>,
    /// The last byte of the client address 127.0.1.x (the login throttle is per address).
    from: u8,
}

fn rest_case(names: Arc<RestNames>) -> impl Strategy<Value = RestCase> {
    (0..ENDPOINTS.len()).prop_flat_map(move |i| {
        let e = &ENDPOINTS[i];
        let args: Vec<BoxedStrategy<String>> = e
            .path
            .split('/')
            .filter_map(|part| match part {
                "{user}" => Some(
                    prop_oneof![
                        2 => prop::sample::select(vec![names.viewer.clone(), names.spare.clone(), names.admin.clone()]),
                        1 => segment(),
                    ]
                    .boxed(),
                ),
                "{project}" => Some(prop_oneof![3 => Just(names.project.clone()), 1 => segment()].boxed()),
                "{id}" | "{seg}" => Some(segment()),
                _ => None,
            })
            .collect();
        let method = prop_oneof![
            9 => Just(None),
            1 => prop::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]).prop_map(Some),
        ];
        let garbage = prop_oneof![
            header_value(100),
            header_value(200).prop_map(|v| format!("Bearer {v}")),
            Just("Bearer".to_string()),
            Just("Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".to_string()),
            Just("Basic YWRtaW46YWRtaW4=".to_string()),
            "[A-Za-z0-9._-]{10,300}".prop_map(|t| format!("bearer {t}")),
        ];
        let optional = |name: &'static str, value: BoxedStrategy<String>| {
            prop_oneof![2 => Just(None), 1 => value.prop_map(move |v| Some((name, v)))]
        };
        let headers = (
            optional(
                "cookie",
                prop_oneof![
                    "[A-Za-z0-9_-]{10,60}".prop_map(|t| format!("chaoscenter_refresh={t}")),
                    header_value(100),
                    Just(format!("chaoscenter_refresh={}", "t".repeat(5000))),
                ]
                .boxed(),
            ),
            optional("x-chaoscenter-csrf", prop_oneof![3 => Just("1".to_string()), 1 => header_value(10)].boxed()),
            optional(
                "sec-fetch-site",
                prop_oneof![Just("cross-site".to_string()), Just("same-origin".to_string()), header_value(20)].boxed(),
            ),
            optional("x-forwarded-for", header_value(60)),
        )
            .prop_map(|(a, b, c, d)| [a, b, c, d].into_iter().flatten().collect::<Vec<_>>());
        (Just(i), method, who(), garbage, args, payload(e.fields, &names), headers, 1u8..=250)
    })
    .prop_map(|(endpoint, method, who, garbage, args, payload, headers, from)| RestCase {
        endpoint,
        method,
        who,
        garbage,
        args,
        payload,
        headers,
        from,
    })
}

struct Rest<'a> {
    api: &'a Apiserver,
    names: Arc<RestNames>,
    admin_token: String,
    viewer_token: String,
}

impl Rest<'_> {
    async fn check(&self, case: RestCase) -> Result<(), TestCaseError> {
        let e = &ENDPOINTS[case.endpoint];
        let method = case.method.unwrap_or(e.method);
        let mut who = case.who;
        let mut args = case.args.into_iter();
        let mut path = String::new();
        for part in e.path.split('/').skip(1) {
            path.push('/');
            if part.starts_with('{') {
                let mut arg = args.next().unwrap_or_default();
                // never lock the test out: admins reset, disable and enable only the spare user
                let (me, viewer) = (&self.names.admin, &self.names.viewer);
                if who == Who::Admin
                    && e.path.starts_with("/auth/users/")
                    && (&arg == viewer || (&arg == me && e.path.ends_with("/password")))
                {
                    arg = self.names.spare.clone();
                }
                path.push_str(&arg);
            } else {
                path.push_str(part);
            }
        }
        if e.path == "/auth/session/logout" && matches!(who, Who::Viewer | Who::Admin) {
            // logging out would end the session every later case uses
            who = Who::Garbage;
        }
        let authorization = match who {
            Who::Anonymous => None,
            Who::Garbage => Some(case.garbage.clone()),
            Who::Tampered => {
                // a character inside the signature (the last one may carry only padding bits)
                let mut chars: Vec<char> = self.viewer_token.chars().collect();
                let at = chars.len().saturating_sub(5);
                if let Some(c) = chars.get_mut(at) {
                    *c = if *c == 'A' { 'B' } else { 'A' };
                }
                Some(format!("Bearer {}", chars.into_iter().collect::<String>()))
            }
            Who::Viewer => Some(format!("Bearer {}", self.viewer_token)),
            Who::Admin => Some(format!("Bearer {}", self.admin_token)),
        };
        let mut headers = case.headers.clone();
        let mut secrets = case.payload.secrets.clone();
        if let Some(value) = authorization {
            secrets.push(value.split_whitespace().last().unwrap_or_default().to_string());
            headers.push(("authorization", value));
        }
        for (name, value) in &case.headers {
            if *name == "cookie" {
                secrets.extend(value.strip_prefix("chaoscenter_refresh=").map(String::from));
            }
        }
        // a password that is also sent as something else (or is short) may be shown as that
        secrets.retain(|s| {
            s.chars().count() >= 10 && !case.payload.plain.contains(s.as_str()) && !path.contains(s.as_str())
        });
        let raw = match &case.payload.bytes {
            Bytes::Nothing => None,
            Bytes::Text(text) => Some(text.clone().into_bytes()),
            Bytes::Raw(bytes) => Some(bytes.clone()),
            Bytes::Oversized(n) => Some(format!("{{\"a\": \"{}\"}}", "x".repeat(*n)).into_bytes()),
        };
        let from = IpAddr::V4(Ipv4Addr::new(127, 0, 1, case.from));
        let req = Req {
            headers: &headers,
            raw: raw.map(|bytes| (case.payload.content_type.as_deref(), bytes)),
            from: Some(from),
            ..Default::default()
        };
        let what = format!("{method} {} as {who:?}", short(&path));
        // what the server sees: dot segments go (`/auth/..` is `/`, a page of the UI, not the API)
        let seen = reqwest::Url::parse(&format!("http://host{path}"))
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        let api = seen.starts_with("/auth/") || seen.starts_with("/api/");
        let answer = match timed(self.api, method, &path, req).await? {
            Ok(answer) => answer,
            // refused before the body was read (signed out, say): the server answers and closes the
            // connection instead of reading megabytes, and the client, still sending, may see only the
            // closed connection. The server must still be up; a panic would also show in its log.
            Err(e) if e.is_request() && matches!(case.payload.bytes, Bytes::Oversized(_)) => {
                return healthy(self.api).await
            }
            Err(e) => return Err(fail(format!("{what}: no answer (a dropped connection?): {e}"))),
        };
        if api {
            check_status(&answer, &what)?;
        } else {
            prop_assert!(answer.status < 500, "{}: answered {} {}", what, answer.status, short(&answer.text));
        }
        check_no_echo(&answer, &secrets, &what)?;
        healthy(self.api).await
    }
}

/// Findings of this fuzzing, kept as fixed cases. axum's own refusals bypassed the API's error answer: a
/// method a route does not take got an empty 405, a path parameter that is not UTF-8 a plain-text 400, a
/// body past the limit of a handler that reads bytes a plain-text 413, and `/auth/` (what
/// `/auth/tokens/..` is on the wire) reached the UI's file server (an empty 405). And names from the path
/// or a login went into Kubernetes API URLs unchecked: control characters made a 500.
async fn rest_regressions(rest: &Rest<'_>) {
    let nothing =
        Payload { content_type: None, bytes: Bytes::Nothing, secrets: vec![], plain: String::new() };
    let oversized = Payload { bytes: Bytes::Oversized(2_200_000), ..nothing.clone() };
    let login = json!({"username": "a\nb", "password": "any-password-1"}).to_string();
    let login = Payload {
        content_type: Some("application/json".into()),
        bytes: Bytes::Text(login),
        ..nothing.clone()
    };
    let project = rest.names.project.as_str();
    let cases = [
        ("/auth/login", Some("PUT"), Who::Viewer, "", &nothing),
        ("/auth/tokens/{id}", None, Who::Viewer, "%FF%FE", &nothing),
        ("/auth/tokens/{id}", None, Who::Anonymous, "..", &nothing),
        ("/auth/users/{user}/password", None, Who::Admin, "%FF%FE", &nothing),
        ("/auth/projects/{project}/leave", None, Who::Viewer, project, &oversized),
        ("/auth/users/{user}/enable", None, Who::Admin, "%14%19%05%0A", &nothing),
        ("/auth/projects/{project}/leave", None, Who::Viewer, "a%0Ab", &nothing),
        ("/auth/login", None, Who::Anonymous, "", &login),
    ];
    for (path, method, who, arg, payload) in cases {
        let case = RestCase {
            endpoint: ENDPOINTS.iter().position(|e| e.path == path).expect("a listed endpoint"),
            method,
            who,
            garbage: String::new(),
            args: if arg.is_empty() { vec![] } else { vec![arg.to_string()] },
            payload: payload.clone(),
            headers: vec![],
            from: 1,
        };
        rest.check(case).await.unwrap_or_else(|e| panic!("{e}"));
    }
}

/// The apiserver's log has no panic in it.
fn assert_no_panic(w: &AccessWorld) {
    let logs = w.api.logs();
    let panics: Vec<&str> = logs.lines().filter(|l| l.contains("panicked")).collect();
    assert!(panics.is_empty(), "the apiserver panicked:\n{}", panics.join("\n"));
}

fn suffix(w: &AccessWorld) -> String {
    w.ns.rsplit('-').next().unwrap().to_string()
}

async fn create_project(w: &AccessWorld, admin: &str, name: &str) {
    let body = json!({"name": name, "targetNamespaces": [w.ns]});
    let (status, answer) = w.api.call("POST", "/auth/projects", Some(admin), Some(body)).await;
    assert_eq!(status, 201, "{answer}");
}

async fn add_member(w: &AccessWorld, admin: &str, project: &str, user: &str, role: &str) {
    let path = format!("/auth/projects/{project}/members");
    let (status, body) =
        w.api.call("POST", &path, Some(admin), Some(json!({"user": user, "role": role}))).await;
    assert_eq!(status, 200, "{body}");
}

/// Waits until `token`'s caller sees `project` in GraphQL (the apiserver's cache has the membership).
async fn wait_member(w: &AccessWorld, token: &str, project: &str) {
    wait_for(WAIT, &format!("{project} in the caller's projects"), || async {
        let data = w.api.graphql(token, "{ projects { name } }", json!({})).await;
        data["projects"].as_array()?.iter().any(|p| p["name"] == project).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_bodies_get_an_answer_never_a_5xx_and_every_refusal_says_why() {
    with_access("fuzz-rest", &[], |w| async move {
        let admin = admin_token(&w).await;
        let s = suffix(&w);
        let names = Arc::new(RestNames {
            admin: w.admin.clone(),
            viewer: format!("fzv-{s}"),
            viewer_password: "viewer-password-1".into(),
            spare: format!("fzs-{s}"),
            project: format!("fzp-{s}"),
        });
        let viewer_token = new_user(&w, &admin, &names.viewer, &names.viewer_password).await;
        let spare = json!({"username": names.spare, "password": "initial-password-1"});
        let (status, body) = w.api.call("POST", "/auth/users", Some(&admin), Some(spare)).await;
        assert_eq!(status, 201, "{body}");
        create_project(&w, &admin, &names.project).await;
        add_member(&w, &admin, &names.project, &names.viewer, "Viewer").await;
        let rest = Rest { api: &w.api, names: names.clone(), admin_token: admin, viewer_token };
        rest_regressions(&rest).await;
        fuzz("rest", 2000, rest_case(names), |case| block(rest.check(case)));
        assert_no_panic(&w);
    })
    .await;
}

// ---- GraphQL -----------------------------------------------------------------------------------------

/// An argument's type.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Arg {
    Str,
    /// A project name: the one whose data a caller may or may not see.
    Project,
    Int,
    Bool,
    Phase,
    Trigger,
    Json,
    /// A project's uid (`projectUid`: admins read a deleted project's history by it).
    Uid,
}

impl Arg {
    fn type_name(self) -> &'static str {
        match self {
            Arg::Str | Arg::Project | Arg::Uid => "String",
            Arg::Int => "Int",
            Arg::Bool => "Boolean",
            Arg::Phase => "Phase",
            Arg::Trigger => "Trigger",
            Arg::Json => "JSON",
        }
    }
}

/// A field of the schema (`apiserver/schema.graphql`): its arguments (name, type, required) and, for an
/// object, the type of its selection.
struct Field {
    name: &'static str,
    args: &'static [(&'static str, Arg, bool)],
    ty: Option<&'static str>,
}

const fn scalar(name: &'static str) -> Field {
    Field { name, args: &[], ty: None }
}

const fn object(name: &'static str, ty: &'static str) -> Field {
    Field { name, args: &[], ty: Some(ty) }
}

const WORKFLOW_INPUT: &[(&str, Arg, bool)] = &[
    ("project", Arg::Project, true),
    ("yaml", Arg::Str, false),
    ("name", Arg::Str, false),
    ("spec", Arg::Json, false),
];

const QUERY: &[Field] = &[
    object("projects", "ProjectView"),
    Field { name: "validateWorkflow", args: WORKFLOW_INPUT, ty: Some("FieldErrorView") },
    Field { name: "project", args: &[("name", Arg::Project, true)], ty: Some("ProjectView") },
    Field { name: "workflows", args: &[("project", Arg::Project, true)], ty: Some("WorkflowView") },
    Field {
        name: "runs",
        args: &[
            ("project", Arg::Project, true),
            ("workflow", Arg::Str, false),
            ("phase", Arg::Phase, false),
            ("trigger", Arg::Trigger, false),
            ("since", Arg::Str, false),
            ("until", Arg::Str, false),
            ("first", Arg::Int, false),
            ("after", Arg::Str, false),
            ("projectUid", Arg::Uid, false),
        ],
        ty: Some("RunConnection"),
    },
    Field {
        name: "statistics",
        args: &[("project", Arg::Project, true), ("since", Arg::Str, false), ("projectUid", Arg::Uid, false)],
        ty: Some("Statistics"),
    },
    Field {
        name: "auditLog",
        args: &[
            ("project", Arg::Project, false),
            ("first", Arg::Int, false),
            ("before", Arg::Str, false),
            ("after", Arg::Str, false),
            ("projectUid", Arg::Uid, false),
        ],
        ty: Some("AuditView"),
    },
    Field {
        name: "run",
        args: &[("project", Arg::Project, true), ("name", Arg::Str, true), ("projectUid", Arg::Uid, false)],
        ty: Some("RunDetail"),
    },
    object("deletedProjects", "DeletedProjectView"),
];

const MUTATION: &[Field] = &[
    Field { name: "createWorkflow", args: WORKFLOW_INPUT, ty: Some("WrittenWorkflow") },
    Field { name: "updateWorkflow", args: WORKFLOW_INPUT, ty: Some("WrittenWorkflow") },
    Field {
        name: "deleteWorkflow",
        args: &[("project", Arg::Project, true), ("name", Arg::Str, true)],
        ty: None,
    },
    Field {
        name: "runWorkflow",
        args: &[("project", Arg::Project, true), ("workflow", Arg::Str, true)],
        ty: Some("RunSummary"),
    },
    Field {
        name: "dryRunWorkflow",
        args: &[("project", Arg::Project, true), ("workflow", Arg::Str, true), ("spec", Arg::Json, false)],
        ty: Some("DryRun"),
    },
    Field {
        name: "abortRun",
        args: &[("project", Arg::Project, true), ("name", Arg::Str, true)],
        ty: Some("RunSummary"),
    },
    Field {
        name: "setSuspended",
        args: &[
            ("project", Arg::Project, true),
            ("workflow", Arg::Str, true),
            ("suspended", Arg::Bool, true),
        ],
        ty: Some("WrittenWorkflow"),
    },
];

const SUBSCRIPTION: &[Field] = &[
    Field {
        name: "runUpdated",
        args: &[("project", Arg::Project, true), ("name", Arg::Str, true)],
        ty: Some("RunSummary"),
    },
    Field { name: "runsChanged", args: &[("project", Arg::Project, true)], ty: Some("RunSummary") },
];

const RUN_SUMMARY: &[Field] = &[
    scalar("uid"),
    scalar("name"),
    scalar("workflow"),
    scalar("phase"),
    scalar("trigger"),
    scalar("author"),
    scalar("score"),
    scalar("createdAt"),
    scalar("deleted"),
];

/// The object types a selection or fragment may be on.
const TYPES: &[&str] = &[
    "ProjectView",
    "MemberView",
    "FieldErrorView",
    "WorkflowView",
    "RunConnection",
    "RunEdge",
    "PageInfo",
    "RunSummary",
    "RunDetail",
    "EventView",
    "Statistics",
    "PhaseCount",
    "WorkflowScore",
    "DayScore",
    "AuditView",
    "WrittenWorkflow",
    "DryRun",
    "DeletedProjectView",
];

fn fields_of(ty: &str) -> &'static [Field] {
    const PROJECT_VIEW: &[Field] = &[
        scalar("name"),
        scalar("displayName"),
        scalar("description"),
        scalar("namespace"),
        scalar("myRole"),
        object("members", "MemberView"),
        scalar("targetNamespaces"),
    ];
    const RUN_DETAIL: &[Field] = &[
        scalar("uid"),
        scalar("name"),
        scalar("workflow"),
        scalar("phase"),
        scalar("trigger"),
        scalar("author"),
        scalar("score"),
        scalar("createdAt"),
        scalar("deleted"),
        scalar("definition"),
        scalar("status"),
        object("events", "EventView"),
    ];
    const WORKFLOW_VIEW: &[Field] = &[
        scalar("name"),
        scalar("description"),
        scalar("schedule"),
        scalar("suspended"),
        scalar("lastRun"),
        scalar("lastPhase"),
        scalar("lastScore"),
        scalar("object"),
    ];
    const AUDIT_VIEW: &[Field] = &[
        scalar("at"),
        scalar("actor"),
        scalar("groups"),
        scalar("source"),
        scalar("action"),
        scalar("kind"),
        scalar("namespace"),
        scalar("name"),
        scalar("project"),
        scalar("cursor"),
    ];
    const MEMBER_VIEW: &[Field] = &[scalar("user"), scalar("role")];
    const FIELD_ERROR_VIEW: &[Field] = &[scalar("field"), scalar("message")];
    const RUN_CONNECTION: &[Field] = &[object("edges", "RunEdge"), object("pageInfo", "PageInfo")];
    const RUN_EDGE: &[Field] = &[scalar("cursor"), object("node", "RunSummary")];
    const PAGE_INFO: &[Field] = &[scalar("hasNextPage"), scalar("endCursor")];
    const EVENT_VIEW: &[Field] = &[scalar("time"), scalar("kind"), scalar("reason"), scalar("message")];
    const STATISTICS: &[Field] = &[
        object("runsByPhase", "PhaseCount"),
        object("scoreByWorkflow", "WorkflowScore"),
        object("scoreByDay", "DayScore"),
    ];
    const PHASE_COUNT: &[Field] = &[scalar("phase"), scalar("runs")];
    const WORKFLOW_SCORE: &[Field] = &[scalar("workflow"), scalar("averageScore"), scalar("runs")];
    const DAY_SCORE: &[Field] = &[scalar("day"), scalar("averageScore"), scalar("runs")];
    const WRITTEN_WORKFLOW: &[Field] = &[scalar("name"), scalar("namespace"), scalar("resourceVersion")];
    const DRY_RUN: &[Field] = &[object("run", "RunSummary"), scalar("finished"), scalar("plan")];
    const DELETED_PROJECT_VIEW: &[Field] =
        &[scalar("name"), scalar("uid"), scalar("createdAt"), scalar("deletedAt")];
    match ty {
        "Query" => QUERY,
        "Mutation" => MUTATION,
        "Subscription" => SUBSCRIPTION,
        "ProjectView" => PROJECT_VIEW,
        "MemberView" => MEMBER_VIEW,
        "FieldErrorView" => FIELD_ERROR_VIEW,
        "WorkflowView" => WORKFLOW_VIEW,
        "RunConnection" => RUN_CONNECTION,
        "RunEdge" => RUN_EDGE,
        "PageInfo" => PAGE_INFO,
        "RunSummary" => RUN_SUMMARY,
        "RunDetail" => RUN_DETAIL,
        "EventView" => EVENT_VIEW,
        "Statistics" => STATISTICS,
        "PhaseCount" => PHASE_COUNT,
        "WorkflowScore" => WORKFLOW_SCORE,
        "DayScore" => DAY_SCORE,
        "AuditView" => AUDIT_VIEW,
        "WrittenWorkflow" => WRITTEN_WORKFLOW,
        "DryRun" => DRY_RUN,
        "DeletedProjectView" => DELETED_PROJECT_VIEW,
        _ => &[],
    }
}

/// Choices drawn from a list of numbers (so proptest shrinks a document by shrinking the numbers: 0
/// always picks the first, simplest option), and a few generated strings.
struct Dice<'a> {
    rolls: &'a [u32],
    at: usize,
    strings: &'a [String],
}

impl<'a> Dice<'a> {
    fn new(rolls: &'a [u32], strings: &'a [String]) -> Self {
        Self { rolls, at: 0, strings }
    }

    /// 0 to `n - 1`.
    fn roll(&mut self, n: usize) -> usize {
        let r = self.rolls.get(self.at).copied().unwrap_or(0) as usize;
        self.at += 1;
        r % n.max(1)
    }

    /// True `percent` of the time (never for a 0 roll).
    fn chance(&mut self, percent: usize) -> bool {
        self.roll(100) + percent >= 100 && percent > 0
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.roll(items.len())].clone()
    }

    /// One of the generated strings.
    fn string(&mut self) -> String {
        if self.strings.is_empty() {
            return String::new();
        }
        self.strings[self.roll(self.strings.len())].clone()
    }
}

/// What a GraphQL case may name.
struct GqlNames {
    /// The Viewer's project, seeded with runs.
    mine: String,
    /// A project the Viewer is not in, seeded with runs, an audit entry and a workflow.
    other: String,
    /// Strings worth sending: times, cursors (one of each project), run names.
    strings: Vec<String>,
    /// Each project's uid (name, uid).
    uids: Vec<(String, String)>,
}

/// A root field of a generated operation: where its answer goes and the project it names.
#[derive(Debug)]
struct Root {
    key: String,
    field: &'static str,
    /// The project argument as sent (`None`: not given).
    project: Option<Value>,
    /// The `projectUid` argument as sent (`None`: not given).
    uid: Option<Value>,
}

/// A generated request.
#[derive(Debug)]
struct Document {
    query: String,
    variables: Value,
    operation_name: Option<String>,
    roots: Vec<Root>,
    /// Changed after rendering (the roots may not be the document's any more).
    garbled: bool,
    /// Written with errors on purpose (also sent with errors in transport).
    wild: bool,
}

struct Writer<'a> {
    d: Dice<'a>,
    /// The project most project arguments name (in a valid document).
    preferred: String,
    /// Whether to write errors on purpose (unknown fields and arguments, wrong types, undeclared
    /// variables, past the limits); otherwise every document is valid, with odd values.
    wild: bool,
    names: &'a GqlNames,
    out: String,
    vars: Vec<(String, String, Value)>,
    roots: Vec<Root>,
    /// Fragments spread so far: name and type condition.
    fragments: Vec<(String, &'static str)>,
}

impl Writer<'_> {
    /// A value for an argument of type `arg`: its text and what it means (for strings).
    fn value(&mut self, arg: Arg, depth: usize) -> (String, Value) {
        if !self.wild {
            return if self.d.chance(15) { self.variable(arg) } else { self.literal(arg, depth) };
        }
        match self.d.roll(24) {
            0..=15 => self.literal(arg, depth),
            16 => ("null".into(), Value::Null),
            17 => {
                let other = self.d.pick(&[Arg::Str, Arg::Int, Arg::Bool, Arg::Phase, Arg::Json]);
                self.literal(other, depth)
            }
            18 | 19 => self.variable(arg),
            20 if depth < 3 => {
                let n = self.d.roll(4);
                let items: Vec<String> = (0..n).map(|_| self.value(arg, depth + 1).0).collect();
                (format!("[{}]", items.join(", ")), Value::Null)
            }
            21 if depth < 3 => (format!("{{a: {}, b: \"x\"}}", self.value(arg, depth + 1).0), Value::Null),
            22 => {
                // nesting past the parser's recursion limit (32)
                let n = self.d.pick(&[10, 33, 100, 3000]);
                (format!("{}{}", "[".repeat(n), "]".repeat(n)), Value::Null)
            }
            23 => (format!("\"\"\"{}\"\"\"", self.d.string().replace("\"\"\"", "")), Value::Null),
            _ => self.literal(arg, depth),
        }
    }

    fn literal(&mut self, arg: Arg, depth: usize) -> (String, Value) {
        let string = |s: String| (js(&s), Value::String(s));
        match arg {
            Arg::Project => {
                let options = [self.names.mine.clone(), self.names.other.clone(), String::new()];
                let s = match self.d.roll(20) {
                    0..=13 if !self.wild => self.preferred.clone(),
                    0..=16 => self.d.pick(&options),
                    _ => self.d.string(),
                };
                string(s)
            }
            Arg::Str => {
                let s = if self.d.chance(50) { self.d.pick(&self.names.strings) } else { self.d.string() };
                string(s)
            }
            Arg::Int if !self.wild => {
                (self.d.pick(&["1", "2", "50", "100", "0", "101"]).to_string(), Value::Null)
            }
            Arg::Int => {
                let n = self.d.pick(&[
                    "1",
                    "50",
                    "100",
                    "0",
                    "-1",
                    "101",
                    "2147483647",
                    "2147483648",
                    "-2147483649",
                    "99999999999999999999999",
                    "1.5",
                    "1e3",
                ]);
                (n.to_string(), Value::Null)
            }
            Arg::Bool => (
                self.d.pick(&["true", "false", "TRUE"][..if self.wild { 3 } else { 2 }]).to_string(),
                Value::Null,
            ),
            Arg::Phase if !self.wild => {
                let p = self.d.pick(&["Pending", "Running", "Succeeded", "Failed", "Aborted", "Error"]);
                (p.to_string(), Value::Null)
            }
            Arg::Trigger if !self.wild => {
                (self.d.pick(&["Manual", "Schedule", "GitOps", "Api"]).to_string(), Value::Null)
            }
            Arg::Phase => {
                let p = self.d.pick(&[
                    "Pending",
                    "Running",
                    "Succeeded",
                    "Failed",
                    "Aborted",
                    "Error",
                    "Nope",
                    "running",
                    "\"Running\"",
                ]);
                (p.to_string(), Value::Null)
            }
            Arg::Trigger => (
                self.d.pick(&["Manual", "Schedule", "GitOps", "Api", "Cron", "\"Manual\""]).to_string(),
                Value::Null,
            ),
            Arg::Json => (self.json_literal(depth), Value::Null),
            Arg::Uid => {
                let s = if self.d.chance(80) { self.d.pick(&self.names.uids).1 } else { self.d.string() };
                string(s)
            }
        }
    }

    /// A JSON scalar's value written as a GraphQL literal.
    fn json_literal(&mut self, depth: usize) -> String {
        match self.d.roll(7) {
            0 => "{steps: []}".into(),
            1 if depth < 4 => {
                let n = self.d.roll(4);
                let fields: Vec<String> =
                    (0..n).map(|i| format!("k{i}: {}", self.json_literal(depth + 1))).collect();
                format!("{{{}}}", fields.join(", "))
            }
            2 if depth < 4 => {
                let n = self.d.roll(4);
                let items: Vec<String> = (0..n).map(|_| self.json_literal(depth + 1)).collect();
                format!("[{}]", items.join(", "))
            }
            3 => js(&self.d.string()),
            4 => self.d.pick(&["1", "-1", "1e308", "99999999999999999999999", "0.5"]).to_string(),
            5 => self.d.pick(&["true", "null"]).to_string(),
            _ => "{}".into(),
        }
    }

    /// A variable for an argument of type `arg`: declared with the right or another type, given a value
    /// of the right or another type (or none).
    fn variable(&mut self, arg: Arg) -> (String, Value) {
        let name = format!("v{}", self.vars.len());
        let declared = if !self.wild || self.d.chance(75) {
            format!("{}{}", arg.type_name(), if self.d.chance(50) { "!" } else { "" })
        } else {
            self.d.pick(&["String", "Int!", "Boolean", "[String]", "JSON", "Nope", "ID"]).to_string()
        };
        let value = match if self.wild { self.d.roll(8) } else { 0 } {
            0..=3 => match arg {
                Arg::Project => {
                    Value::String(self.d.pick(&[self.names.mine.clone(), self.names.other.clone()]))
                }
                Arg::Str => Value::String(self.d.string()),
                Arg::Int => json!(self.d.pick(&[1, 100, 1000, -5])),
                Arg::Bool => json!(self.d.chance(50)),
                Arg::Phase => json!(self.d.pick(&["Running", "Nope"])),
                Arg::Trigger => json!(self.d.pick(&["Manual", "Nope"])),
                Arg::Json => json!({"steps": [{"name": self.d.string()}]}),
                Arg::Uid => Value::String(self.d.pick(&self.names.uids).1),
            },
            4 => Value::Null,
            5 => json!(1e300),
            6 => json!([self.d.string(), {"a": [1, 2, {"b": null}]}]),
            _ => Value::String(self.d.string()),
        };
        let meaning = value.clone();
        if !self.wild || self.d.chance(95) {
            self.vars.push((name.clone(), declared, value));
        } else {
            // used but never declared
            self.vars.push((name.clone(), String::new(), Value::Null));
        }
        (format!("${name}"), meaning)
    }

    fn directives(&mut self) {
        match self.d.roll(40) {
            4..=6 if !self.wild => {}
            0 => self.out.push_str(" @include(if: true)"),
            1 => self.out.push_str(" @skip(if: false)"),
            2 => self.out.push_str(" @skip(if: true)"),
            3 => {
                let (v, _) = self.variable(Arg::Bool);
                self.out.push_str(&format!(" @include(if: {v})"));
            }
            4 | 5 => self.out.push_str(" @nope"),
            6 => self.out.push_str(&" @skip(if: false)".repeat(9)),
            _ => {}
        }
    }

    /// A selection set on `ty`; `root`: these fields' answers are the response's top-level keys.
    fn selection(&mut self, ty: &'static str, depth: usize, root: bool) {
        self.out.push_str(" {");
        let n = 1 + self.d.roll(match (depth, self.wild) {
            (6.., _) => 1,
            (0, false) => 2,
            _ => 4,
        });
        for _ in 0..n {
            match self.d.roll(if self.wild { 26 } else { 20 }) {
                16 | 17 => {
                    let on = if !self.wild || self.d.chance(80) { ty } else { self.d.pick(TYPES) };
                    self.out.push_str(&format!(" ... on {on}"));
                    self.directives();
                    self.selection(on, depth, root && on == ty);
                }
                18 if !root => {
                    let on = if !self.wild || self.d.chance(80) { ty } else { self.d.pick(TYPES) };
                    let name = match self.fragments.iter().find(|(_, t)| *t == on) {
                        // the same fragment again, or (wild) any other
                        Some((name, _)) if !self.wild || self.d.chance(50) => name.clone(),
                        _ => format!("F{}", self.d.roll(self.fragments.len() + 1)),
                    };
                    if !self.fragments.iter().any(|(n, _)| *n == name) {
                        self.fragments.push((name.clone(), on));
                    }
                    self.out.push_str(&format!(" ...{name}"));
                }
                19 => self.out.push_str(" __typename"),
                20 => {
                    self.out.push_str(" nope");
                    if self.d.chance(50) {
                        self.out.push_str(" { x }");
                    }
                }
                21 => {
                    // past the depth limit (8) and the parser's recursion limit (32)
                    let n = self.d.pick(&[8, 9, 20, 40]);
                    self.out.push_str(&format!("{}{}", " a {".repeat(n), " b }".repeat(n)));
                }
                22 => self.out.push_str(
                    self.d.pick(&[" __schema { types { name } }", " __type(name: \"Query\") { name }"]),
                ),
                _ => self.field(ty, depth, root),
            }
        }
        self.out.push_str(" }");
    }

    fn field(&mut self, ty: &'static str, depth: usize, root: bool) {
        let fields = fields_of(ty);
        if fields.is_empty() {
            self.out.push_str(" __typename");
            return;
        }
        let f = &fields[self.d.roll(fields.len())];
        let key = if self.d.chance(20) {
            // a few aliases, so some collide (an error unless the fields are the same)
            let alias =
                if self.wild { format!("a{}", self.d.roll(4)) } else { format!("b{}", self.out.len()) };
            self.out.push_str(&format!(" {alias}:"));
            alias
        } else {
            f.name.to_string()
        };
        self.out.push(' ');
        self.out.push_str(f.name);
        let (mut project, mut uid) = (None, None);
        let mut args = Vec::new();
        for (name, arg, required) in f.args {
            let given = if *required { !self.wild || !self.d.chance(3) } else { self.d.chance(35) };
            if given {
                let (text, meaning) = self.value(*arg, 0);
                match arg {
                    Arg::Project => project = Some(meaning),
                    Arg::Uid => uid = Some(meaning),
                    _ => {}
                }
                args.push(format!("{name}: {text}"));
            }
        }
        if self.wild && self.d.chance(3) {
            args.push("nope: 1".into());
        }
        if !args.is_empty() {
            self.out.push_str(&format!("({})", args.join(", ")));
        }
        self.directives();
        match f.ty {
            Some(sub) if !(self.wild && self.d.chance(3)) && depth < 10 => {
                self.selection(sub, depth + 1, false)
            }
            Some(_) => {}
            None if self.wild && self.d.chance(3) => self.out.push_str(" { x }"),
            None => {}
        }
        if root {
            self.roots.push(Root { key, field: f.name, project, uid });
        }
    }

    /// An operation on `root` with its variables declared.
    fn operation(&mut self, keyword: &str, root: &'static str) {
        let start = self.out.len();
        self.selection(root, 0, true);
        let body = self.out.split_off(start);
        let declared: Vec<String> = self
            .vars
            .iter()
            .filter(|(_, ty, _)| !ty.is_empty())
            .map(|(name, ty, _)| format!("${name}: {ty}"))
            .collect();
        self.out.push_str(keyword);
        self.out.push_str(" Op");
        if !declared.is_empty() {
            self.out.push_str(&format!("({})", declared.join(", ")));
        }
        self.out.push_str(&body);
    }

    /// The fragments spread (defined once each, sometimes not at all), which may spread others.
    fn fragment_definitions(&mut self) {
        let mut defined = 0;
        while defined < self.fragments.len() && defined < 6 {
            let (name, on) = self.fragments[defined].clone();
            defined += 1;
            if self.wild && self.d.chance(5) {
                continue;
            }
            self.out.push_str(&format!("\nfragment {name} on {on}"));
            self.selection(on, 3, false);
        }
    }
}

/// A GraphQL request from the dice: mostly a real operation over the schema, sometimes a complexity
/// bomb, deep braces, several operations, or text; sometimes garbled afterwards or padded past the
/// request size limit.
fn document(mut d: Dice<'_>, names: &GqlNames, preferred: &str) -> Document {
    let wild = d.chance(50);
    let mut w = Writer {
        d,
        preferred: preferred.to_string(),
        wild,
        names,
        out: String::new(),
        vars: Vec::new(),
        roots: Vec::new(),
        fragments: Vec::new(),
    };
    let mut operation_name = None;
    match w.d.roll(if wild { 20 } else { 16 }) {
        0..=9 => w.operation("query", "Query"),
        10 => {
            w.selection("Query", 0, true);
            w.vars.clear();
        }
        11..=13 => w.operation("mutation", "Mutation"),
        14 => w.operation("subscription", "Subscription"),
        15 => {
            // complexity: aliased pages of 100 runs
            let k = 1 + w.d.roll(40);
            let p = w.d.pick(&[names.mine.clone(), names.other.clone()]);
            w.out.push('{');
            for i in 0..k {
                w.out.push_str(&format!(" r{i}: runs(project: {}, first: 100) {{ edges {{ cursor node {{ uid name phase score }} }} }}", js(&p)));
                w.roots.push(Root {
                    key: format!("r{i}"),
                    field: "runs",
                    project: Some(Value::String(p.clone())),
                    uid: None,
                });
            }
            w.out.push_str(" }");
        }
        16 => {
            let n = w.d.pick(&[100, 1000, 20_000]);
            w.out =
                format!("{}{}", "{".repeat(n), if w.d.chance(50) { "}".repeat(n) } else { String::new() });
        }
        17 => w.out = w.d.string(),
        18 => {
            w.out = "query A { projects { name } } query B { projects { myRole } }".into();
            if w.d.chance(50) {
                operation_name = Some(w.d.pick(&["A", "B", "C"]).to_string());
            }
        }
        _ => w.out = "{ projects { name } }".into(),
    }
    w.fragment_definitions();
    let mut garbled = false;
    if wild && w.d.chance(20) && !w.out.is_empty() {
        garbled = true;
        let chars: Vec<char> = w.out.chars().collect();
        let at = w.d.roll(chars.len());
        let len = 1 + w.d.roll(10);
        let mut changed: String = chars[..at].iter().collect();
        match w.d.roll(3) {
            0 => {}
            1 => changed.push_str(&w.d.string()),
            _ => changed.push_str(&chars[at..(at + len).min(chars.len())].iter().collect::<String>()),
        }
        changed.extend(chars[(at + len).min(chars.len())..].iter());
        w.out = changed;
    }
    if wild && w.d.chance(5) {
        w.out.push_str(&format!("\n# {}", "x".repeat(270_000)));
    }
    let variables: serde_json::Map<String, Value> =
        w.vars.iter().map(|(name, _, value)| (name.clone(), value.clone())).collect();
    Document {
        query: w.out,
        variables: Value::Object(variables),
        operation_name,
        roots: w.roots,
        garbled,
        wild,
    }
}

/// How a document is sent (method, content type, body): mostly a JSON body, sometimes broken in
/// transport.
fn transport(d: &mut Dice<'_>, doc: &Document) -> (&'static str, Option<&'static str>, Vec<u8>) {
    let body = json!({"query": doc.query, "variables": doc.variables, "operationName": doc.operation_name});
    let json_type = Some("application/json");
    let (content_type, bytes) = match if doc.wild { d.roll(30) } else { 99 } {
        0 => (json_type, doc.query.clone().into_bytes()),
        1 => (json_type, json!([body, body]).to_string().into_bytes()),
        2 => (json_type, json!({"query": 123}).to_string().into_bytes()),
        3 => (json_type, json!({"variables": doc.variables}).to_string().into_bytes()),
        4 => (Some("text/plain"), body.to_string().into_bytes()),
        5 => (Some("application/graphql"), doc.query.clone().into_bytes()),
        6 => (json_type, json!({"query": doc.query, "variables": "x"}).to_string().into_bytes()),
        7 => (None, body.to_string().into_bytes()),
        8 => (
            json_type,
            json!({"query": doc.query, "operationName": 5, "extensions": {"a": [1]}})
                .to_string()
                .into_bytes(),
        ),
        _ => (json_type, body.to_string().into_bytes()),
    };
    let method = if doc.wild && d.chance(4) { d.pick(&["GET", "PUT", "DELETE", "PATCH"]) } else { "POST" };
    (method, content_type, bytes)
}

/// What a caller must never see of a project: strings that appear only in its data.
struct Hidden {
    project: String,
    /// Found anywhere in a string of the answer's data.
    substrings: Vec<String>,
    /// A string of the answer's data equal to one of these.
    exact: Vec<String>,
}

struct Gql<'a> {
    api: &'a Apiserver,
    names: GqlNames,
    admin: String,
    viewer: String,
    outsider: String,
    mine: Hidden,
    other: Hidden,
}

impl Gql<'_> {
    async fn check(&self, rolls: Vec<u32>, strings: Vec<String>, who: usize) -> Result<(), TestCaseError> {
        let mut d = Dice::new(&rolls, &strings);
        let who = ["admin", "viewer", "outsider", "anonymous", "garbage"][who % 5];
        // the caller's own project, mostly (the outsider has none: the Viewer's)
        let preferred =
            if who == "admin" && rolls[0] % 2 == 0 { &self.names.other } else { &self.names.mine };
        let doc = document(Dice::new(&rolls[1..], &strings), &self.names, preferred);
        let (method, content_type, mut bytes) = transport(&mut d, &doc);
        if who == "admin" && doc.query.contains("dryRunWorkflow") {
            // an admin's dry run of a real workflow waits 10 s for an operator that is not there
            bytes = String::from_utf8_lossy(&bytes).replace("dryRunWorkflow", "runWorkflow").into_bytes();
        }
        let garbage: String = d.string().chars().filter(|c| (' '..='~').contains(c)).collect();
        self.send(who, &garbage, method, content_type, bytes, Some(&doc)).await
    }

    /// Sends a GraphQL request as `who` and checks the answer: a GraphQL response whose errors all have
    /// messages, or a 4xx with a message (a 413 for a body past the limit), and nothing of a project the
    /// caller is not in.
    async fn send(
        &self,
        who: &str,
        garbage: &str,
        method: &str,
        content_type: Option<&str>,
        bytes: Vec<u8>,
        doc: Option<&Document>,
    ) -> Result<(), TestCaseError> {
        let authorization = match who {
            "admin" => Some(format!("Bearer {}", self.admin)),
            "viewer" => Some(format!("Bearer {}", self.viewer)),
            "outsider" => Some(format!("Bearer {}", self.outsider)),
            "garbage" => Some(format!("Bearer {garbage}")),
            _ => None,
        };
        let headers: Vec<(&'static str, String)> =
            authorization.into_iter().map(|a| ("authorization", a)).collect();
        let size = bytes.len();
        let sent = String::from_utf8_lossy(&bytes).into_owned();
        let what = format!("{who} sent {method} {}", short(&sent));
        let req = Req { headers: &headers, raw: Some((content_type, bytes)), ..Default::default() };
        let answer = exchange(self.api, method, "/api/graphql", req).await?;
        check_status(&answer, &what)?;
        if size > GRAPHQL_BODY_LIMIT && matches!(who, "admin" | "viewer" | "outsider") && method == "POST" {
            prop_assert_eq!(
                answer.status,
                413,
                "{}: a body of {} bytes, past the limit, was read",
                what,
                size
            );
        }
        if answer.status == 200 {
            let body = &answer.body;
            prop_assert!(
                body.is_object(),
                "{}: a 200 that is not a GraphQL response: {}",
                what,
                short(&answer.text)
            );
            match body.get("errors") {
                None | Some(Value::Null) => {
                    // (async-graphql answers `"data": null` when every field was skipped)
                    let data = &body["data"];
                    prop_assert!(
                        data.is_object() || data.is_null(),
                        "{}: not a GraphQL response: {}",
                        what,
                        short(&answer.text)
                    )
                }
                Some(errors) => {
                    let list = errors.as_array().cloned().unwrap_or_default();
                    prop_assert!(
                        !list.is_empty(),
                        "{}: errors that are not a list of errors: {}",
                        what,
                        short(&answer.text)
                    );
                    for e in &list {
                        // the server and its cluster and database are up: nothing sent is a failure of theirs
                        let code = e["extensions"]["code"].as_str().unwrap_or_default();
                        prop_assert!(
                            !matches!(code, "INTERNAL" | "UNAVAILABLE"),
                            "{}: an error of the server's own ({}): {}",
                            what,
                            code,
                            short(&answer.text)
                        );
                        let message = e["message"].as_str().unwrap_or_default();
                        prop_assert!(
                            !message.trim().is_empty(),
                            "{}: an error without a message: {}",
                            what,
                            short(&answer.text)
                        );
                    }
                }
            }
        }
        let hidden: Vec<&Hidden> = match who {
            "viewer" => vec![&self.other],
            "outsider" => vec![&self.mine, &self.other],
            _ => vec![],
        };
        self.check_hidden(&hidden, doc, &sent, &answer.body["data"], &what)?;
        healthy(self.api).await
    }

    /// The data holds nothing of the `hidden` projects: none of their strings (unless the request sent
    /// them), no cursor into their runs, and no answer for a root field that names one of them.
    fn check_hidden(
        &self,
        hidden: &[&Hidden],
        doc: Option<&Document>,
        sent: &str,
        data: &Value,
        what: &str,
    ) -> Result<(), TestCaseError> {
        if hidden.is_empty() {
            return Ok(());
        }
        let mut found = Vec::new();
        strings(data, &mut found);
        for h in hidden {
            for s in &found {
                let decoded = {
                    use base64::Engine;
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(s)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                        .unwrap_or_default()
                };
                for marker in &h.substrings {
                    if !sent.contains(marker.as_str()) {
                        prop_assert!(
                            !s.contains(marker.as_str()) && !decoded.contains(marker.as_str()),
                            "{}: the answer shows {:?} of project {} to a non-member: {}",
                            what,
                            marker,
                            h.project,
                            short(&data.to_string())
                        );
                    }
                }
                for exact in &h.exact {
                    prop_assert!(
                        s != exact || sent.contains(exact.as_str()),
                        "{}: the answer shows run {:?} of project {} to a non-member: {}",
                        what,
                        exact,
                        h.project,
                        short(&data.to_string())
                    );
                }
            }
        }
        let (Some(map), Some(doc)) = (data.as_object(), doc) else { return Ok(()) };
        if doc.garbled {
            return Ok(());
        }
        for root in &doc.roots {
            let Some(answer) = map.get(&root.key).filter(|v| !v.is_null()) else { continue };
            if root.field == "projects" {
                let mut names = Vec::new();
                strings(answer, &mut names);
                for h in hidden {
                    prop_assert!(
                        !names.contains(&h.project.as_str()),
                        "{}: {} listed to a non-member: {}",
                        what,
                        h.project,
                        short(&data.to_string())
                    );
                }
                continue;
            }
            let forbidden = |root: &Root| {
                let named = match &root.project {
                    Some(Value::String(p)) => hidden.iter().any(|h| &h.project == p),
                    // the whole audit log is for admins only
                    None | Some(Value::Null) => root.field == "auditLog",
                    _ => false,
                };
                // a member reads by `projectUid` only their project as it is; deleted projects are for admins
                let uid_of = |p: &Value| self.names.uids.iter().find(|(n, _)| Some(n.as_str()) == p.as_str());
                let by_uid = match (&root.uid, &root.project) {
                    (Some(Value::String(u)), Some(p)) => uid_of(p).is_none_or(|(_, uid)| uid != u),
                    (Some(Value::String(_)), None) => true,
                    _ => false,
                };
                named || by_uid || root.field == "deletedProjects"
            };
            // fields sharing an answer's key with other arguments: async-graphql runs one of them (it does
            // not refuse the conflict when one is in a fragment), so only the strings above can tell
            let named = doc.roots.iter().filter(|r| r.key == root.key).all(forbidden);
            prop_assert!(
                !named,
                "{}: {} ({:?}) answered for a project the caller is not in: {}",
                what,
                root.key,
                root.project,
                short(&answer.to_string())
            );
        }
        Ok(())
    }
}

/// Findings of this fuzzing, kept as fixed cases: a body that is not a GraphQL request was answered with
/// Rust's debug text (`InvalidRequest(Error("expected value", line: 1, column: 1))`), a body past the
/// 256 KiB limit was read whole and parsed, a method other than POST got an empty 405, and names went into
/// Kubernetes API URLs unchecked (INTERNAL for an empty name or control characters; an empty workflow
/// name's run made the Kubernetes API server drop the connection).
async fn graphql_regressions(gql: &Gql<'_>) {
    let json_type = Some("application/json");
    let padded = json!({"query": format!("{{ projects {{ name }} }}\n# {}", "x".repeat(300 * 1024))});
    let mutation = |m: &str| json!({"query": format!("mutation {{ {m} }}")}).to_string().into_bytes();
    let p = js(&gql.names.mine);
    let cases: Vec<(&str, &str, Option<&str>, Vec<u8>)> = vec![
        ("viewer", "POST", json_type, b"{\"query\": 123}".to_vec()),
        ("viewer", "POST", json_type, b"not json".to_vec()),
        ("viewer", "POST", json_type, b"[{\"query\": \"{ projects { name } }\"}]".to_vec()),
        ("viewer", "POST", json_type, padded.to_string().into_bytes()),
        ("viewer", "GET", None, Vec::new()),
        ("viewer", "POST", json_type, mutation(&format!("deleteWorkflow(project: {p}, name: \"a\\nb\")"))),
        ("admin", "POST", json_type, mutation(&format!("abortRun(project: {p}, name: \"\") {{ name }}"))),
        (
            "admin",
            "POST",
            json_type,
            mutation(&format!("runWorkflow(project: {p}, workflow: \"\") {{ name }}")),
        ),
    ];
    for (who, method, content_type, bytes) in cases {
        gql.send(who, "", method, content_type, bytes, None).await.unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Seeds what only `project`'s members may read, shaped as the mirror and the audit log write it: runs
/// `from..to` (see [`seed_runs`]), an audit entry and a workflow named `marker` — under the project's name
/// and its uid (history belongs to the project's uid where it is read by that). The project's uid.
async fn seed(w: &AccessWorld, project: &str, from: usize, to: usize, marker: &str) -> String {
    use mongodb::bson::{doc, oid::ObjectId, Document};
    let db = w.api.database().await;
    let uid = seed_runs(&w.client, &db, project, from, to).await;
    let namespace = project_namespace(project);
    let sort_key = chaoscenter_apiserver::mirror::sort_key;
    let (id, at) = (ObjectId::new(), created_ms(to));
    let entry = doc! {
        "_id": id, "atMs": at, "actor": marker, "source": "Api", "action": "create", "kind": "ChaosWorkflow",
        "namespace": &namespace, "name": marker, "project": project, "projectUid": &uid,
        "sortKey": sort_key(at, &id.to_hex()),
    };
    db.collection::<Document>(chaoscenter_apiserver::audit::COLLECTION).insert_one(entry).await.unwrap();
    let object = json!({"metadata": {"name": marker}, "spec": {"description": marker, "steps": []}});
    let workflow = doc! {
        "_id": marker, "uid": marker, "kind": "ChaosWorkflow", "name": marker, "namespace": &namespace,
        "project": project, "projectUid": &uid, "deleted": false, "object": object.to_string(), "createdMs": at,
    };
    db.collection::<Document>("mirror_chaosworkflows").insert_one(workflow).await.unwrap();
    uid
}

/// The strings of a project's seeded runs `from..to` that only its members may see.
fn hidden(project: &str, from: usize, to: usize, extra: Vec<String>) -> Hidden {
    let mut substrings: Vec<String> = (from..to).map(run_uid).collect();
    substrings.push(project.to_string());
    substrings.extend(extra);
    Hidden { project: project.to_string(), substrings, exact: (from..to).map(run_name).collect() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_documents_get_errors_with_messages_and_never_another_projects_data() {
    with_access("fuzz-gql", &[], |w| async move {
        let admin = admin_token(&w).await;
        let s = suffix(&w);
        let (mine, other) = (format!("fzm-{s}"), format!("fzo-{s}"));
        let (viewer, outsider) = (format!("fzv-{s}"), format!("fzx-{s}"));
        let viewer_token = new_user(&w, &admin, &viewer, "viewer-password-1").await;
        let outsider_token = new_user(&w, &admin, &outsider, "outsider-password-1").await;
        create_project(&w, &admin, &mine).await;
        create_project(&w, &admin, &other).await;
        add_member(&w, &admin, &mine, &viewer, "Viewer").await;
        wait_member(&w, &viewer_token, &mine).await;
        wait_member(&w, &admin, &other).await;
        // history only members may read: runs, an audit entry and a workflow of each project
        let (mine_marker, marker) = (format!("fz-mine-{s}"), format!("fz-hidden-{s}"));
        let mine_uid = seed(&w, &mine, 0, 20, &mine_marker).await;
        let other_uid = seed(&w, &other, 1000, 1020, &marker).await;
        // the seeding is what the API shows its members (else the checks below would prove nothing)
        let runs = "query($p: String!) { runs(project: $p, first: 100) { edges { node { uid } } } }";
        let seen = w.api.graphql(&admin, runs, json!({"p": other})).await;
        assert_eq!(seen["runs"]["edges"].as_array().map(Vec::len), Some(20), "{seen}");
        let seen = w.api.graphql(&viewer_token, runs, json!({"p": mine})).await;
        assert_eq!(seen["runs"]["edges"].as_array().map(Vec::len), Some(20), "{seen}");
        let log = w
            .api
            .graphql(&admin, "query($p: String) { auditLog(project: $p) { name } }", json!({"p": other}))
            .await;
        assert!(log.to_string().contains(&marker), "{log}");
        let cursor = cursor_after;
        let names = GqlNames {
            mine: mine.clone(),
            other: other.clone(),
            strings: vec![
                "2026-01-01T00:00:00Z".into(),
                "2023-11-14T22:13:20Z".into(),
                "-009999-01-01T00:00:00Z".into(),
                "yesterday".into(),
                cursor(10),
                cursor(1010),
                "wf3-13".into(),
                "wf3".into(),
                String::new(),
            ],
            uids: vec![(mine.clone(), mine_uid), (other.clone(), other_uid)],
        };
        let gql = Gql {
            api: &w.api,
            names,
            admin,
            viewer: viewer_token,
            outsider: outsider_token,
            mine: hidden(&mine, 0, 20, vec![mine_marker]),
            other: hidden(&other, 1000, 1020, vec![marker]),
        };
        let strategy = (
            proptest::collection::vec(any::<u32>(), 200),
            proptest::collection::vec(text(), 6),
            prop_oneof![3 => Just(0usize), 3 => Just(1), 3 => Just(2), 1 => Just(3), 1 => Just(4)],
        );
        graphql_regressions(&gql).await;
        fuzz("graphql", 2000, strategy, |(rolls, strings, who)| block(gql.check(rolls, strings, who)));
        assert_no_panic(&w);
    })
    .await;
}

// ---- workflow YAML -------------------------------------------------------------------------------------

/// A valid workflow (the one `core/tests/properties.rs` mutates): a pod-delete step with an http and a
/// PromQL probe, and a pod-autoscaler step after it.
/// The base workflow named `name` with up to four changes from the dice, as YAML.
fn mutated_yaml(d: &mut Dice<'_>, name: &str, target: &str) -> (String, Value) {
    let mut value = base_workflow(name, target);
    let mut splices = Splices::default();
    for _ in 0..1 + d.roll(4) {
        let path = d.pick(&value_paths(&value));
        let Some((last, parent)) = path.split_last() else { continue };
        let mut target_value = &mut value;
        for step in parent {
            target_value = child(target_value, step);
        }
        let current = child(target_value, last).clone();
        let new = match d.roll(14) {
            0 => Some(Value::Null),
            1 => Some(match &current {
                Value::String(_) => json!(12),
                Value::Number(_) => json!("twelve"),
                Value::Bool(_) => json!("yes"),
                Value::Array(_) => json!({"a": 1}),
                _ => json!(["x"]),
            }),
            2 | 3 => Some(splices.marker(d.pick(RAW_YAML))),
            4 | 5 => Some(Value::String(d.string())),
            6 => None,
            7 => {
                if let Value::Object(map) = target_value {
                    map.insert(d.pick(&["extra", "nope", "x-y", "Steps"]).to_string(), json!(d.string()));
                }
                continue;
            }
            8 => Some(Value::Array(vec![current.clone(); d.pick(&[2, 101])])),
            9 => Some(json!(d.pick(&[-1i64, 0, i64::from(u32::MAX) + 1, i64::MIN]))),
            10 => Some(Value::String(
                d.pick(&["-1s", "0s", "99999999h", "18446744073709551615ms", "1.5s", "soon"]).to_string(),
            )),
            _ => Some(match &current {
                Value::String(_) => Value::String(d.string()),
                Value::Number(_) => json!(d.pick(&[0u64, 1, 1000, 100_000, u64::from(u32::MAX)])),
                Value::Bool(b) => json!(!b),
                other => other.clone(),
            }),
        };
        replace(target_value, last, new);
    }
    (splices.yaml(&value), value)
}

/// A billion-laughs document within the size limit.
fn alias_bomb(d: &mut Dice<'_>, name: &str) -> String {
    let (levels, width) = (1 + d.roll(9), 2 + d.roll(8));
    let tail = match d.roll(4) {
        0 => "extra: {last}\nspec: {steps: []}\n",
        1 => "spec: {description: {last}}\n",
        2 => "metadata2: {labels: {last}}\nspec: {steps: {last}}\n",
        _ => "spec:\n  steps:\n  - name: a\n    probes: {last}\n",
    };
    hostile_yaml::alias_bomb(name, levels, width, tail)
}

/// What a YAML case does.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Create,
    /// createWorkflow with `name` and `spec` (JSON) instead of YAML.
    CreateSpec,
    Update,
    Validate,
}

/// A generated workflow case: the operation, its input, and the name it writes (`None` if the
/// input's name was changed).
struct YamlCase {
    op: Op,
    yaml: String,
    spec: Option<Value>,
    name: Option<String>,
}

fn yaml_case(d: &mut Dice<'_>, fresh: &str, existing: &[String], target: &str) -> YamlCase {
    let op = match d.roll(20) {
        0..=10 => Op::Create,
        11 | 12 => Op::CreateSpec,
        13..=17 => Op::Update,
        _ => Op::Validate,
    };
    let name = if op == Op::Update && !existing.is_empty() { d.pick(existing) } else { fresh.to_string() };
    let header =
        format!("apiVersion: chaoscenter.io/v1alpha1\nkind: ChaosWorkflow\nmetadata: {{name: {name}}}\n");
    let (yaml, value) = match d.roll(20) {
        0 | 1 => {
            let value = base_workflow(&name, target);
            (serde_yaml::to_string(&value).expect("YAML"), Some(value))
        }
        2 => (alias_bomb(d, &name), None),
        3 => {
            // flow nesting, up to the size limit
            let n = d.pick(&[64, 129, 1000, 20_000, 100_000, 125_000]);
            let steps = if d.chance(50) { nested(n) } else { "[".repeat(n) };
            (format!("{header}spec: {{steps: {steps}}}\n"), None)
        }
        4 => {
            let n = d.pick(&[50, 129, 300]);
            let nested: String = (0..n).map(|i| format!("{}a:\n", "  ".repeat(i))).collect();
            (format!("{header}spec:\n  description:\n{nested}"), None)
        }
        5 => (d.string(), None),
        6 => (format!("{header}---\n{header}"), None),
        _ => {
            let (text, value) = mutated_yaml(d, &name, target);
            (text, Some(value))
        }
    };
    let mut yaml = yaml;
    if d.chance(5) {
        // garbled text
        let mut chars: Vec<char> = yaml.chars().collect();
        if !chars.is_empty() {
            let at = d.roll(chars.len());
            chars.insert(at, d.pick(&['\t', '"', '\'', ':', '[', '&', '*', '\u{0}', '#']));
        }
        yaml = chars.into_iter().collect();
    }
    let kept_name = value.as_ref().filter(|v| v["metadata"]["name"] == name.as_str()).map(|_| name.clone());
    let spec = value.as_ref().map(|v| v["spec"].clone());
    YamlCase { op, yaml, spec, name: kept_name }
}

struct Yaml<'a> {
    api: &'a Apiserver,
    workflows: Api<ChaosWorkflow>,
    project: String,
    target: String,
    editor: String,
    /// The workflows created so far (updates pick one).
    created: Mutex<Vec<String>>,
    count: AtomicUsize,
}

impl Yaml<'_> {
    async fn check(&self, rolls: Vec<u32>, strings: Vec<String>) -> Result<(), TestCaseError> {
        let mut d = Dice::new(&rolls, &strings);
        let fresh = format!("fz-{}", self.count.fetch_add(1, Ordering::SeqCst));
        let existing = self.created.lock().unwrap().clone();
        let case = yaml_case(&mut d, &fresh, &existing, &self.target);
        self.run(case, &fresh).await
    }

    /// Sends a case as the Editor and checks the answer and the cluster: written whole (and there), or
    /// refused with a code and a message and nothing changed; `fresh` is the name no workflow has yet.
    async fn run(&self, case: YamlCase, fresh: &str) -> Result<(), TestCaseError> {
        let field = match case.op {
            Op::Create | Op::CreateSpec => "createWorkflow",
            Op::Update => "updateWorkflow",
            Op::Validate => "validateWorkflow",
        };
        let (query, variables) = match (case.op, &case.spec) {
            (Op::CreateSpec, Some(spec)) => (
                "mutation($p: String!, $n: String, $s: JSON) { createWorkflow(project: $p, name: $n, spec: $s) { name namespace resourceVersion } }",
                json!({"p": self.project, "n": fresh, "s": spec}),
            ),
            (Op::Validate, _) => (
                "query($p: String!, $y: String) { validateWorkflow(project: $p, yaml: $y) { field message } }",
                json!({"p": self.project, "y": case.yaml}),
            ),
            (Op::Update, _) => (
                "mutation($p: String!, $y: String) { updateWorkflow(project: $p, yaml: $y) { name namespace resourceVersion } }",
                json!({"p": self.project, "y": case.yaml}),
            ),
            _ => (
                "mutation($p: String!, $y: String) { createWorkflow(project: $p, yaml: $y) { name namespace resourceVersion } }",
                json!({"p": self.project, "y": case.yaml}),
            ),
        };
        let by_spec = case.op == Op::CreateSpec && case.spec.is_some();
        let name = if by_spec { Some(fresh.to_string()) } else { case.name.clone() };
        let before = match &name {
            Some(n) => self.workflows.get_opt(n).await.map_err(|e| fail(format!("read {n}: {e}")))?,
            None => None,
        };
        let body = json!({"query": query, "variables": variables}).to_string().into_bytes();
        let headers = vec![("authorization", format!("Bearer {}", self.editor))];
        let req =
            Req { headers: &headers, raw: Some((Some("application/json"), body)), ..Default::default() };
        let what = format!("{field} of {:?}", short(&case.yaml));
        let answer = exchange(self.api, "POST", "/api/graphql", req).await?;
        check_status(&answer, &what)?;
        let mut written = false;
        if answer.status == 200 {
            let errors = answer.body["errors"].as_array().cloned().unwrap_or_default();
            match errors.first() {
                None => {
                    let data = &answer.body["data"][field];
                    prop_assert!(!data.is_null(), "{}: no data and no errors: {}", what, short(&answer.text));
                    if case.op == Op::Validate {
                        for e in data.as_array().cloned().unwrap_or_default() {
                            let (f, m) = (
                                e["field"].as_str().unwrap_or_default(),
                                e["message"].as_str().unwrap_or_default(),
                            );
                            prop_assert!(
                                f.starts_with("spec") && !m.is_empty(),
                                "{}: a problem without its field or message: {}",
                                what,
                                e
                            );
                        }
                    } else {
                        written = true;
                        let n = data["name"].as_str().unwrap_or_default().to_string();
                        let found =
                            self.workflows.get_opt(&n).await.map_err(|e| fail(format!("read {n}: {e}")))?;
                        prop_assert!(
                            found.is_some(),
                            "{}: answered as written, but {} is not in the cluster",
                            what,
                            n
                        );
                        self.created.lock().unwrap().push(n);
                    }
                }
                Some(first) => {
                    let code = first["extensions"]["code"].as_str().unwrap_or_default();
                    let message = first["message"].as_str().unwrap_or_default();
                    let mut allowed = vec!["BAD_INPUT", "INVALID"];
                    if case.op == Op::Update || name.is_none() {
                        // an update of a workflow the input renamed, or a renamed create of an existing one
                        allowed.extend(["NOT_FOUND", "CONFLICT"]);
                    }
                    prop_assert!(
                        allowed.contains(&code),
                        "{}: refused with code {:?}: {}",
                        what,
                        code,
                        short(&answer.text)
                    );
                    prop_assert!(
                        !message.trim().is_empty(),
                        "{}: refused without a message: {}",
                        what,
                        short(&answer.text)
                    );
                    prop_assert!(
                        answer.body["data"].is_null(),
                        "{}: refused, with data: {}",
                        what,
                        short(&answer.text)
                    );
                }
            }
        }
        if !written {
            // nothing half-written: a refused create leaves no workflow, a refused update the old one
            if let Some(n) = &name {
                let after = self.workflows.get_opt(n).await.map_err(|e| fail(format!("read {n}: {e}")))?;
                let version = |w: &Option<ChaosWorkflow>| w.as_ref().and_then(|w| w.resource_version());
                prop_assert_eq!(
                    version(&before),
                    version(&after),
                    "{}: refused, but {} changed in the cluster",
                    what,
                    n
                );
            }
        }
        healthy(self.api).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_yaml_is_written_whole_or_refused_with_a_code_and_a_message() {
    with_access("fuzz-yaml", &[], |w| async move {
        let admin = admin_token(&w).await;
        let s = suffix(&w);
        let (project, editor) = (format!("fzy-{s}"), format!("fze-{s}"));
        let editor_token = new_user(&w, &admin, &editor, "editor-password-1").await;
        create_project(&w, &admin, &project).await;
        add_member(&w, &admin, &project, &editor, "Editor").await;
        wait_member(&w, &editor_token, &project).await;
        let pns = project_namespace(&project);
        let bindings: Api<k8s_openapi::api::rbac::v1::RoleBinding> = Api::namespaced(w.client.clone(), &pns);
        let binding = chaoscenter_crds::access::member_binding(&editor);
        wait_for(WAIT, "the Editor's binding", || async { bindings.get_opt(&binding).await.ok()? }).await;
        let yaml = Yaml {
            api: &w.api,
            workflows: Api::namespaced(w.client.clone(), &pns),
            project: project.clone(),
            target: w.ns.clone(),
            editor: editor_token,
            created: Mutex::new(Vec::new()),
            count: AtomicUsize::new(0),
        };
        // the base is valid: the Editor can write it
        let create = "mutation($p: String!, $y: String) { createWorkflow(project: $p, yaml: $y) { name } }";
        let base = serde_yaml::to_string(&base_workflow("fz-base", &w.ns)).unwrap();
        // (once the Editor's access is in place everywhere: the impersonation role follows the user)
        wait_for(WAIT, "the Editor writing the base workflow", || async {
            let (_, body) = w.api.graphql_raw(&yaml.editor, create, json!({"p": project, "y": base})).await;
            body["errors"].is_null().then_some(())
        })
        .await;
        yaml.created.lock().unwrap().push("fz-base".into());
        // a finding of this fuzzing, kept: nesting flow collections (`[[[...`) took the YAML parser a time
        // growing with the square of the depth (30 to 70 s for 125 000 `[` here), holding a worker
        // past every limit
        for (i, n) in [125_000usize, 250_000].into_iter().enumerate() {
            let fresh = format!("fz-deep-{i}");
            let text = format!("apiVersion: chaoscenter.io/v1alpha1\nkind: ChaosWorkflow\nmetadata: {{name: {fresh}}}\nspec: {{steps: {}}}\n", "[".repeat(n));
            let case = YamlCase { op: Op::Validate, yaml: text, spec: None, name: Some(fresh.clone()) };
            yaml.run(case, &fresh).await.unwrap_or_else(|e| panic!("{e}"));
        }
        let strategy = (proptest::collection::vec(any::<u32>(), 64), proptest::collection::vec(text(), 4));
        fuzz("workflow yaml", 1500, strategy, |(rolls, strings)| block(yaml.check(rolls, strings)));
        assert_no_panic(&w);
    })
    .await;
}
