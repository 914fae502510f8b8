// The GraphQL document of the activity page: one page of the project's audit log, newest first.
import { graphql } from "../gql";

export const ActivityLogDocument = graphql(`
  query ActivityLog($project: String!, $first: Int!, $before: String) {
    auditLog(project: $project, first: $first, before: $before) {
      at
      actor
      source
      action
      kind
      namespace
      name
      project
    }
  }
`);
