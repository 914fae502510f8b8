// The GraphQL document of the activity page: one page of the project's audit log, newest first.
import { graphql } from "../gql";

export const ActivityLogDocument = graphql(`
  query ActivityLog($project: String!, $first: Int!, $after: String) {
    auditLog(project: $project, first: $first, after: $after) {
      at
      actor
      source
      action
      kind
      namespace
      name
      project
      cursor
    }
  }
`);
