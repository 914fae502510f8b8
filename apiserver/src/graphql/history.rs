//! Run history from the mirror: filtered, newest first, with keyset (cursor) pagination only, so a page
//! costs the same at run 100,000 as at run 50 (an index range scan, no skip, no count).

use super::types::{PageInfo, Phase, RunConnection, RunEdge, RunSummary, Trigger};
use crate::history_store::HistoryStore;
use crate::mirror::{sort_key, stored_int};
use base64::Engine;
use mongodb::bson::{doc, Document};

/// The largest page.
pub const MAX_PAGE: usize = 100;

/// Which runs a history query wants.
#[derive(Default, Clone, Debug)]
pub struct RunFilter {
    pub workflow: Option<String>,
    pub phase: Option<Phase>,
    pub trigger: Option<Trigger>,
    /// Created at or after, Unix ms.
    pub since_ms: Option<i64>,
    /// Created before, Unix ms.
    pub until_ms: Option<i64>,
}

/// A cursor: the history order key of the last run of a page (creation time, then uid), opaque to clients.
pub fn encode_cursor(created_ms: i64, uid: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sort_key(created_ms, uid))
}

/// The order key a cursor names; `None` if it is not one of ours.
pub fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let key = String::from_utf8(bytes).ok()?;
    let (ms, uid) = key.split_once('-')?;
    (ms.len() == 13 && ms.bytes().all(|b| b.is_ascii_digit()) && !uid.is_empty()).then_some(key)
}

/// The runs in the history of the project with uid `project_uid`: all of them but target previews.
pub fn in_history(project_uid: &str) -> Document {
    doc! { "projectUid": project_uid, "preview": { "$ne": true } }
}

/// The MongoDB filter for the runs of the project with uid `project_uid` matching `filter`, after `after`.
pub fn query(project_uid: &str, filter: &RunFilter, after: Option<&str>) -> Document {
    let mut q = in_history(project_uid);
    if let Some(w) = &filter.workflow {
        q.insert("workflow", w);
    }
    if let Some(p) = filter.phase {
        q.insert("phase", p.as_str());
    }
    if let Some(t) = filter.trigger {
        q.insert("trigger", t.as_str());
    }
    let mut created = Document::new();
    if let Some(since) = filter.since_ms {
        created.insert("$gte", since);
    }
    if let Some(until) = filter.until_ms {
        created.insert("$lt", until);
    }
    if !created.is_empty() {
        q.insert("createdMs", created);
    }
    if let Some(key) = after {
        q.insert("sortKey", doc! { "$lt": key });
    }
    q
}

/// One page of the runs of the project with uid `project_uid`, newest first.
pub async fn runs_page(
    history: &dyn HistoryStore,
    project_uid: &str,
    filter: &RunFilter,
    first: usize,
    after: Option<&str>,
) -> Result<RunConnection, String> {
    let first = first.clamp(1, MAX_PAGE);
    let after = match after {
        Some(cursor) => Some(decode_cursor(cursor).ok_or("after: not a cursor from this API")?),
        None => None,
    };
    let docs = history
        .runs(project_uid, filter, after.as_deref(), first + 1)
        .await
        .map_err(|e| format!("history: {e}"))?;
    let has_next_page = docs.len() > first;
    let edges: Vec<RunEdge> = docs
        .iter()
        .take(first)
        .map(|d| {
            let node = RunSummary::from_doc(d);
            RunEdge { cursor: encode_cursor(stored_int(d, "createdMs").unwrap_or(0), &node.uid), node }
        })
        .collect();
    let end_cursor = edges.last().map(|e| e.cursor.clone());
    Ok(RunConnection { edges, page_info: PageInfo { has_next_page, end_cursor } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let c = encode_cursor(1_795_000_000_123, "9f1c-uid");
        assert_eq!(decode_cursor(&c), Some("1795000000123-9f1c-uid".into()));
        assert_eq!(decode_cursor("not-base64!"), None);
        assert_eq!(decode_cursor(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("x")), None);
    }

    #[test]
    fn the_filter_is_keyset_not_offset() {
        let f = RunFilter { phase: Some(Phase::Failed), since_ms: Some(10), ..Default::default() };
        let q = query("shop-uid", &f, Some("0000000000050-u"));
        assert_eq!(q.get_str("projectUid").unwrap(), "shop-uid", "the project's uid, not its name");
        assert!(q.get_document("preview").unwrap().get_bool("$ne").unwrap(), "no previews");
        assert_eq!(q.get_str("phase").unwrap(), "Failed");
        assert_eq!(q.get_document("createdMs").unwrap().get_i64("$gte").unwrap(), 10);
        assert_eq!(
            q.get_document("sortKey").unwrap().get_str("$lt").unwrap(),
            "0000000000050-u",
            "strictly older"
        );
    }
}
