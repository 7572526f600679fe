// Browser test of the Swagger UI that the server embeds at /docs.
//
// Drives Debian's chromium (never a browser downloaded by Playwright) through playwright-core:
// opens /docs on a running server (ONTOHUB_URL, default http://localhost:8080), checks that every
// operation of the contract (read from /openapi.json) is listed, runs GET /health through
// "Try it out" and "Execute" and expects a live 200, checks that the page loaded nothing from
// another origin, and saves a full-page screenshot (SCREENSHOT, default ../artifacts/docs.png).
// Exits non-zero on any failure.
//
//   ONTOHUB_URL=http://127.0.0.1:8080 npm test
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { baseURL, checkClean, run, screenshot, withPage } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const screenshotPath = resolve(process.env.SCREENSHOT ?? join(here, "..", "artifacts", "docs.png"));

const httpMethods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** operations lists every operation of the served contract as {method, path, operationId, tag}. */
async function operations() {
  const response = await fetch(`${baseURL}/openapi.json`);
  if (!response.ok) {
    throw new Error(`GET /openapi.json: ${response.status}`);
  }
  const spec = await response.json();
  const ops = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of httpMethods) {
      const op = item[method];
      if (op) {
        ops.push({ method, path, operationId: op.operationId, tag: op.tags?.[0] ?? "default" });
      }
    }
  }
  if (ops.length === 0) {
    throw new Error("the contract lists no operations");
  }
  return ops;
}

/** checkListed fails unless Swagger UI shows each operation with its method and path. */
async function checkListed(page, ops) {
  const problems = [];
  for (const op of ops) {
    // Swagger UI gives each operation block the id operations-<tag>-<operationId>.
    const block = page.locator(`[id="operations-${op.tag}-${op.operationId}"]`);
    if ((await block.count()) !== 1) {
      problems.push(`${op.method.toUpperCase()} ${op.path} (${op.operationId}) is not listed`);
      continue;
    }
    const method = (await block.locator(".opblock-summary-method").innerText()).trim().toLowerCase();
    const path = await block.locator(".opblock-summary-path").getAttribute("data-path");
    if (method !== op.method || path !== op.path) {
      problems.push(`${op.operationId} is shown as ${method} ${path}, want ${op.method} ${op.path}`);
    }
  }
  const shown = await page.locator(".opblock").count();
  if (shown !== ops.length) {
    problems.push(`${shown} operations shown, the contract has ${ops.length}`);
  }
  if (problems.length > 0) {
    throw new Error(`operations missing from /docs:\n  ${problems.join("\n  ")}`);
  }
}

/** tryHealth runs GET /health from the UI and fails unless the live response is 200. */
async function tryHealth(page) {
  const block = page.locator('[id="operations-health-getHealth"]');
  await block.locator(".opblock-summary-control").click();
  await block.locator("button.try-out__btn").click();
  const answered = page.waitForResponse((r) => r.url() === `${baseURL}/health` && r.request().method() === "GET");
  await block.locator("button.execute").click();
  const response = await answered;
  if (response.status() !== 200) {
    throw new Error(`GET /health from Swagger UI: ${response.status()}`);
  }
  const status = block.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor();
  const shown = (await status.innerText()).trim();
  if (!shown.startsWith("200")) {
    throw new Error(`Swagger UI shows live response status ${JSON.stringify(shown)}, want 200`);
  }
  const body = await block.locator(".live-responses-table .response-col_description pre").first().innerText();
  if (!body.includes('"healthy"')) {
    throw new Error(`Swagger UI shows live response body ${JSON.stringify(body)}, want a healthy status`);
  }
}

async function main() {
  const ops = await operations();
  await withPage(screenshotPath, async (page, seen) => {
    const loaded = await page.goto(`${baseURL}/docs`, { waitUntil: "load" });
    if (loaded?.status() !== 200) {
      throw new Error(`GET /docs: ${loaded?.status()}`);
    }
    await page.locator(".opblock").first().waitFor({ timeout: 30_000 });
    const title = await page.locator(".info .title").innerText();
    if (!title.includes("Ontology Hub API")) {
      throw new Error(`unexpected page title ${JSON.stringify(title)}`);
    }
    await checkListed(page, ops);
    console.log(`all ${ops.length} operations are listed`);
    await tryHealth(page);
    console.log("GET /health through Try it out: 200");
    await screenshot(page, screenshotPath);
    checkClean(seen);
  });
}

run("docs browser test", main);
