/**
 * A typed client for the Ontology Hub API.
 *
 * The types come from `schema.d.ts`, which openapi-typescript generates from the repository's
 * `openapi.yaml` (`npm run generate`); the runtime is openapi-fetch, a thin wrapper around
 * `fetch`. Paths, parameters, request bodies and responses are all checked by the compiler
 * against the contract, so a call the server would reject usually does not compile.
 *
 * @example
 * ```ts
 * import { createClient } from "@ontohub/client";
 *
 * const hub = createClient("http://localhost:8080");
 * const { data, error } = await hub.GET("/api/v1/entities/{entity_type}", {
 *   params: { path: { entity_type: "category" }, query: { limit: 20 } },
 * });
 * ```
 */
import createFetchClient, { type Client, type ClientOptions } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };

/** A client for every operation of the contract; call `GET`, `POST`, `PATCH`, `DELETE` with a path of it. */
export type OntohubClient = Client<paths>;

type Schemas = components["schemas"];

/** An RFC 9457 problem document: the body of every error response. */
export type Problem = Schemas["Problem"];
/** The answer of `GET /health`. */
export type Health = Schemas["Health"];
/** The body of `POST /api/v1/drafts`. */
export type DraftCreate = Schemas["DraftCreate"];
/** The answer of `POST /api/v1/drafts`: the capability URL, shown once. */
export type DraftCreated = Schemas["DraftCreated"];
/** A draft change proposal. */
export type Draft = Schemas["Draft"];
/** The body of `PATCH /api/v1/drafts/{token}`. */
export type DraftUpdate = Schemas["DraftUpdate"];
/** One typed change of `POST /api/v1/drafts/{token}/changes`. */
export type ChangeRequest = Schemas["ChangeRequest"];
/** A change of a draft's change set. */
export type DraftChange = Schemas["DraftChange"];
/** The answer of `POST /api/v1/drafts/{token}/validate`. */
export type ValidationReport = Schemas["ValidationReport"];
/** The answer of `GET /api/v1/drafts/{token}/diff`. */
export type DraftDiff = Schemas["DraftDiff"];
/** One of the eight kinds of entity. */
export type EntityType = Schemas["EntityType"];
/** One entity of the canonical ontology. */
export type Entity = Schemas["Entity"];
/** One page of entities. */
export type EntityPage = Schemas["EntityPage"];
/** A module as listed. */
export type ModuleSummary = Schemas["ModuleSummary"];
/** A profile as listed. */
export type ProfileSummary = Schemas["ProfileSummary"];

/**
 * createClient returns a client for the Ontology Hub API at baseUrl (the server's root, such as
 * `http://localhost:8080`; the `/api/v1/...` and `/health` paths are appended to it). Any other
 * openapi-fetch option (headers, a custom fetch, middleware via `client.use`) may be given too.
 */
export function createClient(baseUrl: string, options: Omit<ClientOptions, "baseUrl"> = {}): OntohubClient {
  return createFetchClient<paths>({ ...options, baseUrl: baseUrl.replace(/\/+$/, "") });
}

/**
 * capabilityToken extracts the token from a draft's capability URL (`<base>/drafts#<token>`):
 * the value the `/api/v1/drafts/{token}` operations take. The URL and the token are secrets;
 * do not log them.
 */
export function capabilityToken(capabilityUrl: string): string {
  const hash = new URL(capabilityUrl).hash;
  if (hash.length <= 1) {
    throw new Error("capability URL has no token in its fragment");
  }
  return hash.slice(1);
}

/** Query parameters of `GET /api/v1/entities/{entity_type}` other than the cursor. */
export type EntityQuery = Omit<NonNullable<operations["listEntities"]["parameters"]["query"]>, "cursor">;

/**
 * entities walks every page of `GET /api/v1/entities/{entity_type}` and yields each entity
 * once, in `entity_id` order. A failed request throws an Error carrying the problem's detail.
 */
export async function* entities(
  client: OntohubClient,
  entityType: EntityType,
  query: EntityQuery = {},
): AsyncGenerator<Entity, void, undefined> {
  let cursor: string | undefined;
  for (;;) {
    const { data, error, response } = await client.GET("/api/v1/entities/{entity_type}", {
      params: { path: { entity_type: entityType }, query: cursor === undefined ? query : { ...query, cursor } },
    });
    if (data === undefined) {
      throw new Error(`list ${entityType} entities: ${response.status} ${error?.detail ?? response.statusText}`);
    }
    yield* data.items;
    if (!data.has_next || data.next_cursor === null) {
      return;
    }
    cursor = data.next_cursor;
  }
}
