// The GraphQL operations of the hub pages: hubs, their catalogues, and Litmus import.
import { graphql } from "../gql";

/** Mutations that change hubs: queries that list hubs are refetched after them. */
export const HUBS_CHANGED = { additionalTypenames: ["HubView"] };

export const HubListDocument = graphql(`
  query HubList($project: String!) {
    hubs(project: $project) {
      name
      source
      url
      branch
      path
      secretName
      syncInterval
      lastSyncedAt
      revision
      templates
      synced
      ready
      syncRequestedAt
      conditions {
        type
        status
        reason
        message
      }
    }
  }
`);

export const CreateHubDocument = graphql(`
  mutation CreateHub($project: String!, $input: HubInput!) {
    createHub(project: $project, input: $input) {
      name
    }
  }
`);

export const SyncHubDocument = graphql(`
  mutation SyncHub($project: String!, $name: String!) {
    syncHub(project: $project, name: $name) {
      name
      syncRequestedAt
    }
  }
`);

export const DeleteHubDocument = graphql(`
  mutation DeleteHub($project: String!, $name: String!) {
    deleteHub(project: $project, name: $name)
  }
`);

export const TemplatesDocument = graphql(`
  query Templates($project: String!, $hub: String, $category: String, $search: String) {
    templates(project: $project, hub: $hub, category: $category, search: $search, first: 100) {
      total
      categories {
        category
        templates
      }
      items {
        id
        hub
        name
        displayName
        description
        category
        supported
        reason
        layout
      }
    }
  }
`);

export const TemplateDocument = graphql(`
  query Template($project: String!, $id: String!) {
    template(project: $project, id: $id) {
      id
      name
      workflow
    }
  }
`);

export const ImportLitmusDocument = graphql(`
  mutation ImportLitmus($project: String!, $yaml: String!) {
    importLitmus(project: $project, yaml: $yaml) {
      workflows {
        name
        yaml
        spec
        mapped
        dropped
      }
    }
  }
`);
