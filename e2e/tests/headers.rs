//! The security headers on every kind of answer the real apiserver gives: the UI's pages, the auth API,
//! GraphQL and errors alike.

use chaoscenter_apiserver::app::CONTENT_SECURITY_POLICY;
use chaoscenter_e2e::access::{admin_token, with_access};

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    with_access("headers", &[], |w| async move {
        let token = admin_token(&w).await;
        let http = reqwest::Client::new();
        let url = |path: &str| format!("{}{path}", w.api.url);
        let answers = [
            ("the UI's index", http.get(url("/")).send().await),
            ("a UI route", http.get(url("/projects/x/runs")).send().await),
            ("an unknown API path", http.get(url("/api/nothing")).send().await),
            ("an unauthenticated auth call", http.get(url("/auth/me")).send().await),
            ("an authenticated auth call", http.get(url("/auth/me")).bearer_auth(&token).send().await),
            (
                "a GraphQL query",
                http.post(url("/api/graphql"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"query": "{ __typename }"}))
                    .send()
                    .await,
            ),
            ("a malformed login", http.post(url("/auth/login")).body("{").send().await),
        ];
        for (what, answer) in answers {
            let answer = answer.unwrap_or_else(|e| panic!("{what}: {e}"));
            let headers = answer.headers();
            let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let csp = get("content-security-policy");
            // the UI's page allows `<style>` with its own nonce (CodeMirror's); nothing else differs
            let without_nonce = match csp.split_once(" 'nonce-") {
                Some((head, tail)) => format!("{head}{}", &tail[tail.find('\'').map_or(0, |i| i + 1)..]),
                None => csp.clone(),
            };
            assert_eq!(without_nonce, CONTENT_SECURITY_POLICY, "{what} ({}): CSP {csp}", answer.status());
            assert!(!csp.contains("unsafe"), "{what}: {csp}");
            assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
            assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
            assert_eq!(get("x-frame-options"), "DENY", "{what}");
        }
    })
    .await;
}
