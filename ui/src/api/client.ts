// The GraphQL client: urql over fetch (the session's token, refreshed on 401) and graphql-ws subscriptions.
import { Client, cacheExchange, fetchExchange, subscriptionExchange, type CombinedError } from "urql";
import { createClient as createWsClient } from "graphql-ws";
import { accessToken, authFetch } from "./session";

function wsUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss" : "ws"}://${host}/api/graphql/ws`;
}

/** A new client (one per signed-in user, so nothing cached leaks between users). */
export function makeClient(): Client {
  const ws = createWsClient({
    url: wsUrl(),
    lazy: true,
    retryAttempts: 5,
    connectionParams: async () => {
      const token = await accessToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  });
  return new Client({
    url: "/api/graphql",
    // the apiserver takes GraphQL only as POST (no queries in URLs, where proxies log them)
    preferGetMethod: false,
    fetch: authFetch,
    requestPolicy: "cache-and-network",
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}

/** The error codes the API puts in `extensions.code`. */
export type ErrorCode = "FORBIDDEN" | "NOT_FOUND" | "CONFLICT" | "INVALID" | "BAD_INPUT" | "UNAVAILABLE" | string;

/** The first GraphQL error's code, if any. */
export function errorCode(error: CombinedError | undefined): ErrorCode | undefined {
  const code = error?.graphQLErrors[0]?.extensions?.code;
  return typeof code === "string" ? code : undefined;
}

/** One problem the server's validator found: the field's path (`spec.steps[2].fault.duration`) and what is wrong. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** The problems an `INVALID` error lists in `extensions.fields` (empty when it lists none). */
export function errorFields(error: CombinedError | undefined): FieldProblem[] {
  const fields: unknown = error?.graphQLErrors[0]?.extensions?.fields;
  if (!Array.isArray(fields)) return [];
  return fields.flatMap((f: unknown) => {
    const { field, message } = (f ?? {}) as Partial<Record<string, unknown>>;
    return typeof field === "string" && typeof message === "string" ? [{ field, message }] : [];
  });
}

/** A message fit to show: the server's own words, without urql's "[GraphQL]" prefix. */
export function errorMessage(error: unknown): string {
  if (!error) return "";
  const combined = error as Partial<CombinedError>;
  if (combined.graphQLErrors && combined.graphQLErrors.length > 0) {
    return combined.graphQLErrors.map((e) => e.message).join("; ");
  }
  if (combined.networkError) {
    return `Cannot reach the ChaosCenter server (${combined.networkError.message}).`;
  }
  if (error instanceof Error) return error.message.replace(/^\[(GraphQL|Network)\] /, "");
  return String(error);
}
