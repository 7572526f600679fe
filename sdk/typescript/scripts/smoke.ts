// Smoke test of the TypeScript SDK against a live server (ONTOHUB_URL, default
// http://localhost:8080) that holds an ingested ontology: health, create a draft, read it back,
// list entities page by page, withdraw the draft. Exits non-zero on the first mismatch.
//
//   ONTOHUB_URL=http://127.0.0.1:8080 npm run smoke
import assert from "node:assert/strict";

import { capabilityToken, createClient, entities, type DraftCreate, type EntityType } from "../src/client.js";

const baseUrl = process.env.ONTOHUB_URL ?? "http://localhost:8080";
const hub = createClient(baseUrl);

async function checkHealth(): Promise<void> {
  const { data, response } = await hub.GET("/health");
  assert.equal(response.status, 200, "GET /health status");
  assert.equal(data?.status, "healthy", "GET /health body");
  assert.equal(data?.database, "connected", "GET /health database");
}

async function checkDraftRoundTrip(): Promise<void> {
  const body: DraftCreate = {
    payload: { entities: [{ entity_type: "category", entity_id: "Person", label: "Person (smoke test)" }] },
    source_wiki: "https://wiki.example.org",
    base_commit_sha: null,
  };
  const created = await hub.POST("/api/v1/drafts", { body });
  assert.equal(created.response.status, 201, `POST /api/v1/drafts status (${created.error?.detail ?? ""})`);
  assert.ok(created.data, "POST /api/v1/drafts body");
  assert.equal(created.response.headers.get("Cache-Control"), "no-store", "draft responses are not cached");
  const token = capabilityToken(created.data.capability_url);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/, "capability token shape");

  const read = await hub.GET("/api/v1/drafts/{token}", { params: { path: { token } } });
  assert.equal(read.response.status, 200, `GET /api/v1/drafts/{token} status (${read.error?.detail ?? ""})`);
  assert.ok(read.data, "GET /api/v1/drafts/{token} body");
  assert.deepEqual(read.data.payload, body.payload, "draft payload read back");
  assert.equal(read.data.source_wiki, body.source_wiki, "draft source_wiki read back");
  const health = await hub.GET("/health");
  assert.equal(read.data.base_commit_sha, health.data?.snapshot.commit_sha ?? null, "draft pinned to the commit served");
  assert.equal(read.data.rebase_status, "clean", "new draft rebase status");
  assert.equal(read.data.change_count, 0, "new draft has no changes");
  assert.equal(read.data.status, "pending", "new draft status");
  assert.equal(Date.parse(read.data.expires_at), Date.parse(created.data.expires_at), "draft expires_at read back");

  const withdrawn = await hub.DELETE("/api/v1/drafts/{token}", { params: { path: { token } } });
  assert.equal(withdrawn.response.status, 204, "DELETE /api/v1/drafts/{token} status");
  const gone = await hub.GET("/api/v1/drafts/{token}", { params: { path: { token } } });
  assert.equal(gone.response.status, 404, "withdrawn draft status");
  assert.equal(gone.response.headers.get("Content-Type"), "application/problem+json", "404 content type");
  assert.equal(gone.error?.status, 404, "withdrawn draft problem status");
}

async function checkEntityListing(): Promise<void> {
  const counts = await hub.GET("/api/v1/entities");
  assert.equal(counts.response.status, 200, "GET /api/v1/entities status");
  assert.ok(counts.data, "GET /api/v1/entities body");
  assert.ok(counts.data.total > 0, "the server holds an ingested ontology");

  const types: EntityType[] = ["category", "property", "subobject"];
  for (const entityType of types) {
    const ids: string[] = [];
    // Small pages, so that the walk crosses page boundaries.
    for await (const entity of entities(hub, entityType, { limit: 2 })) {
      assert.equal(entity.entity_type, entityType, `${entity.entity_id} type`);
      ids.push(entity.entity_id);
    }
    assert.equal(ids.length, counts.data.counts[entityType], `number of ${entityType} entities listed`);
    // Order is the database collation's; the server's own tests check it. Here: each once.
    assert.equal(new Set(ids).size, ids.length, `${entityType} entities listed each once`);
    console.log(`listed ${ids.length} ${entityType} entities`);
  }

  const bad = await hub.GET("/api/v1/entities/{entity_type}", {
    params: { path: { entity_type: "category" }, query: { limit: 0 } },
  });
  assert.equal(bad.response.status, 400, "limit=0 is rejected by the contract");
  assert.ok(bad.error?.errors?.some((e) => e.field === "limit"), "the problem names the limit parameter");
}

// checkChangeSet proposes changes (one to a template whose id holds a slash), validates them,
// previews them with the Draft-Token header and reads the diff.
async function checkChangeSet(): Promise<void> {
  const created = await hub.POST("/api/v1/drafts", {
    body: {
      title: "Smoke test",
      changes: [
        {
          change_type: "update",
          entity_type: "category",
          entity_id: "Person",
          patch: [{ op: "replace", path: "/label", value: "Human" }],
        },
        {
          change_type: "create",
          entity_type: "template",
          entity_id: "Property/Nickname",
          entity: { id: "Property/Nickname", label: "Nickname", description: "Shows a nickname", wikitext: "{{{value}}}" },
        },
      ],
    },
  });
  assert.equal(created.response.status, 201, `POST /api/v1/drafts with changes (${created.error?.detail ?? ""})`);
  const token = capabilityToken(created.data!.capability_url);
  const path = { token };

  const changes = await hub.GET("/api/v1/drafts/{token}/changes", { params: { path } });
  assert.equal(changes.data?.items.length, 2, "two changes listed");

  const added = await hub.POST("/api/v1/drafts/{token}/changes", {
    params: { path },
    body: { change_type: "update", entity_type: "category", entity_id: "Person", patch: [{ op: "test", path: "/label", value: "Nope" }] },
  });
  assert.equal(added.response.status, 422, "a failing test operation is 422");
  assert.ok(added.error?.errors?.some((e) => e.field === "patch/0"), "the problem names patch/0");

  const report = await hub.POST("/api/v1/drafts/{token}/validate", { params: { path } });
  assert.equal(report.response.status, 200, "POST validate status");
  assert.ok(Array.isArray(report.data?.findings), "report findings");
  assert.ok(report.data?.changes.some((c) => c.entity_id === "Property/Nickname" && c.change_type === "create"), "report classifies the template");

  const preview = await hub.GET("/api/v1/entities/{entity_type}/{entity_id}", {
    params: { path: { entity_type: "template", entity_id: "Property/Nickname" }, header: { "Draft-Token": token } },
  });
  assert.equal(preview.response.status, 200, "preview of the created template (id with a slash)");
  assert.equal(preview.data?.entity_id, "Property/Nickname", "preview template id");
  assert.equal(preview.response.headers.get("Cache-Control"), "private, no-store", "previews are private");
  const canonical = await hub.GET("/api/v1/entities/{entity_type}/{entity_id}", {
    params: { path: { entity_type: "template", entity_id: "Property/Nickname" } },
  });
  assert.equal(canonical.response.status, 404, "the template does not exist without the draft");

  const diff = await hub.GET("/api/v1/drafts/{token}/diff", { params: { path } });
  const person = diff.data?.items.find((i) => i.entity_id === "Person");
  assert.ok(person, "diff of Person");
  assert.deepEqual(person.patch, [{ op: "replace", path: "/label", value: "Human" }], "diff patch of Person");

  const withdrawn = await hub.DELETE("/api/v1/drafts/{token}", { params: { path } });
  assert.equal(withdrawn.response.status, 204, "withdraw the draft");
}

async function main(): Promise<void> {
  console.log(`smoke test against ${baseUrl}`);
  await checkHealth();
  console.log("health ok");
  await checkDraftRoundTrip();
  console.log("draft create/read/withdraw ok");
  await checkChangeSet();
  console.log("change set, validation, preview and diff ok");
  await checkEntityListing();
  console.log("smoke test passed");
}

main().catch((err: unknown) => {
  console.error("smoke test FAILED:", err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
