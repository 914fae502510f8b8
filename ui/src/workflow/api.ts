// The GraphQL operations of the workflow pages.
import { graphql } from "../gql";

/** Mutations that change workflows: queries that list workflows are refetched after them. */
export const WORKFLOWS_CHANGED = { additionalTypenames: ["WorkflowView"] };

export const WorkflowListDocument = graphql(`
  query WorkflowList($project: String!) {
    workflows(project: $project) {
      name
      description
      schedule
      suspended
      lastRun
      lastPhase
      lastScore
    }
  }
`);

export const WorkflowObjectsDocument = graphql(`
  query WorkflowObjects($project: String!) {
    workflows(project: $project) {
      name
      object
    }
  }
`);

export const CreateWorkflowDocument = graphql(`
  mutation CreateWorkflow($project: String!, $yaml: String, $name: String, $spec: JSON) {
    createWorkflow(project: $project, yaml: $yaml, name: $name, spec: $spec) {
      name
      resourceVersion
    }
  }
`);

export const UpdateWorkflowDocument = graphql(`
  mutation UpdateWorkflow($project: String!, $yaml: String, $name: String, $spec: JSON) {
    updateWorkflow(project: $project, yaml: $yaml, name: $name, spec: $spec) {
      name
      resourceVersion
    }
  }
`);

export const DeleteWorkflowDocument = graphql(`
  mutation DeleteWorkflow($project: String!, $name: String!) {
    deleteWorkflow(project: $project, name: $name)
  }
`);

export const RunWorkflowDocument = graphql(`
  mutation RunWorkflow($project: String!, $workflow: String!) {
    runWorkflow(project: $project, workflow: $workflow) {
      name
      phase
    }
  }
`);

export const SetSuspendedDocument = graphql(`
  mutation SetSuspended($project: String!, $workflow: String!, $suspended: Boolean!) {
    setSuspended(project: $project, workflow: $workflow, suspended: $suspended) {
      name
      resourceVersion
    }
  }
`);

export const DryRunWorkflowDocument = graphql(`
  mutation DryRunWorkflow($project: String!, $workflow: String!, $spec: JSON) {
    dryRunWorkflow(project: $project, workflow: $workflow, spec: $spec) {
      finished
      plan
      run {
        name
        phase
      }
    }
  }
`);

export const ValidateWorkflowDocument = graphql(`
  query ValidateWorkflow($project: String!, $yaml: String, $name: String, $spec: JSON) {
    validateWorkflow(project: $project, yaml: $yaml, name: $name, spec: $spec) {
      field
      message
    }
  }
`);
