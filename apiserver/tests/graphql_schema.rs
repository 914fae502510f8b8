//! The GraphQL schema: the checked-in SDL matches the code, and the limits refuse what they should before
//! any resolver runs.

use chaoscenter_apiserver::graphql::{schema, sdl};
use std::path::Path;

fn sdl_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql")
}

#[test]
fn the_checked_in_sdl_matches_the_schema() {
    let current = sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(sdl_path(), &current).unwrap();
    }
    let committed = std::fs::read_to_string(sdl_path()).unwrap_or_default();
    assert!(
        committed == current,
        "apiserver/schema.graphql is stale: run `make schema` and commit the result"
    );
    for name in ["runs(", "RunConnection", "abortRun(", "createWorkflow("] {
        assert!(current.contains(name), "{name} missing from the schema");
    }
}

async fn errors(query: &str, introspection: bool) -> Vec<String> {
    let response = schema(introspection).execute(query).await;
    response.errors.into_iter().map(|e| e.message).collect()
}

#[tokio::test]
async fn a_too_deep_query_is_refused_with_a_clear_error() {
    // the deepest real path is shallow, so nest introspection's recursive types past the limit
    let too_deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } }";
    let found = errors(too_deep, true).await;
    assert!(found.iter().any(|e| e.contains("too deep") || e.contains("nested")), "{found:?}");
}

#[tokio::test]
async fn a_too_costly_query_is_refused_with_a_clear_error() {
    // 100 runs × 11 fields, seven times over
    let page = "runs(project: \"p\", first: 100) { edges { cursor node { uid name workflow phase trigger score createdAt deleted } } pageInfo { hasNextPage endCursor } }";
    let query = format!("{{ {} }}", (0..7).map(|i| format!("r{i}: {page}")).collect::<Vec<_>>().join(" "));
    let found = errors(&query, false).await;
    assert!(found.iter().any(|e| e.contains("too complex")), "{found:?}");
}

#[tokio::test]
async fn introspection_is_off_unless_enabled() {
    let off = schema(false).execute("{ __schema { queryType { name } } }").await;
    assert!(
        !off.errors.is_empty() || !off.data.to_string().contains("Query"),
        "introspection answered while disabled: {}",
        off.data
    );
    let on = schema(true).execute("{ __schema { queryType { name } } }").await;
    assert!(on.errors.is_empty(), "{:?}", on.errors);
}
