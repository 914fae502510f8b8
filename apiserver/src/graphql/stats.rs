//! Run statistics from the mirror, computed by the database (`$group`): runs per phase, the average score
//! per workflow, and the average score per day.

use super::history::in_history;
use super::types::Phase;
use crate::mirror::{collection_name, stored_int, stored_number};
use async_graphql::SimpleObject;
use chaoscenter_crds::ChaosWorkflowRun;
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::Database;

/// How many runs are in a phase.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct PhaseCount {
    pub phase: Option<Phase>,
    pub runs: i64,
}

/// A workflow's average score over its scored runs.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct WorkflowScore {
    pub workflow: String,
    pub average_score: f64,
    pub runs: i64,
}

/// The average score of the runs created on one day (UTC).
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct DayScore {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub average_score: f64,
    pub runs: i64,
}

/// A project's statistics.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct Statistics {
    pub runs_by_phase: Vec<PhaseCount>,
    pub score_by_workflow: Vec<WorkflowScore>,
    pub score_by_day: Vec<DayScore>,
}

const DAY_MS: i64 = 86_400_000;

async fn group(db: &Database, pipeline: Vec<Document>) -> mongodb::error::Result<Vec<Document>> {
    let coll = db.collection::<Document>(&collection_name::<ChaosWorkflowRun>());
    coll.aggregate(pipeline).await?.try_collect().await
}

/// The statistics of the runs of the project with uid `project_uid` created at or after `since_ms`.
pub async fn statistics(
    db: &Database,
    project_uid: &str,
    since_ms: i64,
) -> mongodb::error::Result<Statistics> {
    let mut all = in_history(project_uid);
    all.insert("createdMs", doc! { "$gte": since_ms });
    let mut scored = all.clone();
    scored.insert("score", doc! { "$ne": Bson::Null });
    let phases = group(
        db,
        vec![doc! { "$match": all }, doc! { "$group": { "_id": "$phase", "runs": { "$sum": 1 } } }],
    )
    .await?;
    let workflows = group(
        db,
        vec![
            doc! { "$match": scored.clone() },
            doc! { "$group": { "_id": "$workflow", "avg": { "$avg": "$score" }, "runs": { "$sum": 1 } } },
        ],
    )
    .await?;
    let day = doc! { "$subtract": ["$createdMs", { "$mod": ["$createdMs", DAY_MS] }] };
    let days = group(
        db,
        vec![
            doc! { "$match": scored },
            doc! { "$group": { "_id": day, "avg": { "$avg": "$score" }, "runs": { "$sum": 1 } } },
        ],
    )
    .await?;
    let mut stats = Statistics {
        runs_by_phase: phases
            .iter()
            .map(|d| PhaseCount {
                phase: d.get_str("_id").ok().and_then(Phase::parse),
                runs: stored_int(d, "runs").unwrap_or(0),
            })
            .collect(),
        score_by_workflow: workflows
            .iter()
            .map(|d| WorkflowScore {
                workflow: d.get_str("_id").unwrap_or_default().to_string(),
                average_score: round2(stored_number(d, "avg").unwrap_or(0.0)),
                runs: stored_int(d, "runs").unwrap_or(0),
            })
            .collect(),
        score_by_day: days
            .iter()
            .filter_map(|d| {
                let ms = stored_number(d, "_id")? as i64;
                let day = jiff::Timestamp::from_millisecond(ms).ok()?.strftime("%Y-%m-%d").to_string();
                Some(DayScore {
                    day,
                    average_score: round2(stored_number(d, "avg").unwrap_or(0.0)),
                    runs: stored_int(d, "runs").unwrap_or(0),
                })
            })
            .collect(),
    };
    stats.runs_by_phase.sort_by_key(|p| std::cmp::Reverse(p.runs));
    stats.score_by_workflow.sort_by(|a, b| a.workflow.cmp(&b.workflow));
    stats.score_by_day.sort_by(|a, b| a.day.cmp(&b.day));
    Ok(stats)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
