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

/// Every GraphQL document the web UI sends (the `graphql(`…`)` blocks in ui/src), as written.
fn ui_documents() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy().to_string();
            if path.is_dir() && name != "gql" && name != "node_modules" {
                walk(&path, out);
            } else if (name.ends_with(".ts") || name.ends_with(".tsx")) && !name.contains(".test.") {
                let text = std::fs::read_to_string(&path).unwrap();
                for block in text.split("graphql(`").skip(1) {
                    if let Some(doc) = block.split('`').next() {
                        out.push((path.display().to_string(), doc.to_string()));
                    }
                }
            }
        }
    }
    let mut out = vec![];
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src"), &mut out);
    out
}

#[tokio::test]
async fn every_query_of_the_web_ui_is_within_the_depth_and_complexity_limits() {
    let documents = ui_documents();
    assert!(documents.len() >= 10, "found only {} documents in ui/src", documents.len());
    for (file, document) in documents {
        // variables are missing and nobody is signed in: only the limits (checked first) matter here
        let found = errors(&document, false).await;
        let refused: Vec<_> =
            found.iter().filter(|e| e.contains("too complex") || e.contains("too deep")).collect();
        assert!(refused.is_empty(), "{file}: {refused:?} for\n{document}");
    }
}
