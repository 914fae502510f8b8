// The GraphQL documents of the dashboard, the history and the run view.
import { graphql } from "../gql";

/** What a list of runs shows of each run. */
export const RunListFieldsFragment = graphql(`
  fragment RunListFields on RunSummary {
    uid
    name
    workflow
    phase
    trigger
    author
    score
    createdAt
    deleted
  }
`);

export const DashboardDocument = graphql(`
  query DashboardOverview($project: String!) {
    running: runs(project: $project, phase: Running, first: 50) {
      edges {
        node {
          ...RunListFields
        }
      }
    }
    pending: runs(project: $project, phase: Pending, first: 50) {
      edges {
        node {
          ...RunListFields
        }
      }
    }
    recent: runs(project: $project, first: 10) {
      edges {
        node {
          ...RunListFields
        }
      }
    }
    statistics(project: $project) {
      runsByPhase {
        phase
        runs
      }
      scoreByWorkflow {
        workflow
        averageScore
        runs
      }
      scoreByDay {
        day
        averageScore
        runs
      }
    }
  }
`);

export const RunsChangedDocument = graphql(`
  subscription DashboardRunsChanged($project: String!) {
    runsChanged(project: $project) {
      uid
      name
      phase
    }
  }
`);

export const HistoryWorkflowsDocument = graphql(`
  query HistoryWorkflows($project: String!) {
    workflows(project: $project) {
      name
    }
  }
`);

export const HistoryRunsDocument = graphql(`
  query HistoryRuns(
    $project: String!
    $workflow: String
    $phase: Phase
    $trigger: Trigger
    $since: String
    $until: String
    $first: Int
    $after: String
  ) {
    runs(
      project: $project
      workflow: $workflow
      phase: $phase
      trigger: $trigger
      since: $since
      until: $until
      first: $first
      after: $after
    ) {
      edges {
        cursor
        node {
          ...RunListFields
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const RunViewDocument = graphql(`
  query RunView($project: String!, $name: String!) {
    run(project: $project, name: $name) {
      uid
      name
      workflow
      phase
      trigger
      author
      score
      createdAt
      deleted
      definition
      status
      events {
        time
        kind
        reason
        message
      }
    }
  }
`);

export const RunUpdatedDocument = graphql(`
  subscription RunViewUpdated($project: String!, $name: String!) {
    runUpdated(project: $project, name: $name) {
      uid
      phase
      score
    }
  }
`);

export const AbortRunDocument = graphql(`
  mutation RunViewAbort($project: String!, $name: String!) {
    abortRun(project: $project, name: $name) {
      uid
      name
      phase
    }
  }
`);

export const RunLogsDocument = graphql(`
  query RunLogs($project: String!, $name: String!) {
    runLogs(project: $project, name: $name) {
      lines
      truncated
      dropped
    }
  }
`);
