// What the browser tests share: Debian's chromium (never a browser downloaded by Playwright)
// driven by playwright-core, a watch on what a page requests and raises, and screenshots.
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

import { chromium } from "playwright-core";

export const baseURL = (process.env.ONTOHUB_URL ?? "http://localhost:8080").replace(/\/+$/, "");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";

// Without the background-networking flags Chromium floods a closed network with requests.
const chromiumFlags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * withPage opens a page in a fresh chromium profile (1280×900), watches it (see watch) and runs
 * fn(page, seen). When fn fails, a screenshot of the failure is saved to failureShot: a picture
 * helps more than none. The browser is always closed afterwards.
 */
export async function withPage(failureShot, fn) {
  const userDataDir = await mkdtemp(join(tmpdir(), "ontohub-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: chromiumFlags,
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const seen = watch(page);
    try {
      return await fn(page, seen);
    } catch (err) {
      await mkdir(dirname(failureShot), { recursive: true });
      await page.screenshot({ path: failureShot, fullPage: true }).then(
        () => console.error(`screenshot of the failure saved to ${failureShot}`),
        () => {},
      );
      throw err;
    }
  } finally {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  }
}

/**
 * watch records what page requests from other origins (foreign), the errors it raises (errors),
 * what it logs as errors (consoleErrors: Content-Security-Policy violations land there) and every
 * URL it requests (urls).
 */
function watch(page) {
  const seen = { foreign: [], errors: [], consoleErrors: [], urls: [] };
  page.on("request", (request) => {
    const url = request.url();
    seen.urls.push(url);
    if (!url.startsWith(`${baseURL}/`) && !url.startsWith("data:")) {
      seen.foreign.push(url);
    }
  });
  page.on("pageerror", (err) => seen.errors.push(err.message));
  page.on("console", (message) => {
    if (message.type() === "error") {
      seen.consoleErrors.push(message.text());
    }
  });
  return seen;
}

/** screenshot saves a full-page picture of page to path. */
export async function screenshot(page, path) {
  await mkdir(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot saved to ${path}`);
}

/** checkClean fails when the page requested another origin or raised an error. */
export function checkClean(seen) {
  if (seen.foreign.length > 0) {
    throw new Error(`the page requested other origins: ${seen.foreign.join(", ")}`);
  }
  if (seen.errors.length > 0) {
    throw new Error(`the page raised errors: ${seen.errors.join("; ")}`);
  }
}

/** run runs main and reports its outcome as the exit status. */
export function run(name, main) {
  main().then(
    () => console.log(`${name} passed`),
    (err) => {
      console.error(`${name} FAILED:`, err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
