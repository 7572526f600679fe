// Browser test of the draft page a capability URL opens, <base>/drafts#<token>.
//
// Against a running server holding examples/ontology (ONTOHUB_URL, default http://localhost:8080):
// creates a draft through the API with two changes, one of which has an error (a category whose
// parent does not exist), and a title and entity holding markup; opens the capability URL in
// Debian's chromium; checks that the status, the changes and the diff render and that the markup
// stays text; reaches Validate with the keyboard, runs it and finds the error's code and JSON
// Pointer; saves screenshots at desktop and phone size (SCREENSHOT, default
// ../artifacts/draft-page.png, and SCREENSHOT_PHONE, default ../artifacts/draft-page-phone.png);
// withdraws the draft through the confirm step and sees it gone; checks the messages for an
// unknown, a malformed and a missing token. Throughout, the page may request nothing from another
// origin, break no Content-Security-Policy rule, and send the token nowhere but in the path of an
// API request; with SERVER_LOG set, the server's log must not hold the token either.
//
//   ONTOHUB_URL=http://127.0.0.1:8080 npm run test:page
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { baseURL, checkClean, run, screenshot, withPage } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const desktopShot = resolve(process.env.SCREENSHOT ?? join(here, "..", "artifacts", "draft-page.png"));
const phoneShot = resolve(process.env.SCREENSHOT_PHONE ?? join(here, "..", "artifacts", "draft-page-phone.png"));

const title = "Add a lab robot <img src=x id=xss-probe>";
const robotID = "Lab_robot";

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

/** createDraft makes the draft under test through the API and returns its token. */
async function createDraft() {
  const response = await fetch(`${baseURL}/api/v1/drafts`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      title,
      description: "Made by e2e/page.spec.mjs.\n<script>window.__xss = 1</script>",
      source_wiki: "javascript:window.__xss=1",
      changes: [
        {
          change_type: "create",
          entity_type: "category",
          entity_id: robotID,
          entity: {
            id: robotID,
            label: "Lab robot <b onmouseover=window.__xss=1>bold</b>",
            description: "A robot that runs experiments",
            parents: ["Missing_parent"],
          },
        },
        {
          change_type: "update",
          entity_type: "category",
          entity_id: "Person",
          patch: [{ op: "replace", path: "/label", value: "Human being" }],
        },
      ],
    }),
  });
  const body = await response.json();
  check(response.status === 201, `POST /api/v1/drafts: ${response.status} ${JSON.stringify(body)}`);
  const url = new URL(body.capability_url);
  check(url.pathname === "/drafts" && url.hash.length > 1, `capability URL ${body.capability_url} is not <base>/drafts#<token>`);
  return url.hash.slice(1);
}

async function text(page, selector) {
  return (await page.locator(selector).innerText()).trim();
}

/** checkDraftShown checks the status, the changes and the diff as the page renders them. */
async function checkDraftShown(page) {
  await page.locator("#changes").waitFor({ state: "visible", timeout: 15_000 }).catch(async () => {
    throw new Error(`the draft did not render; the page says ${JSON.stringify(await text(page, "#notice"))}`);
  });
  check((await text(page, "h1")) === title, `h1 is ${JSON.stringify(await text(page, "h1"))}, want the title as text`);
  check((await text(page, "#draft-status")).startsWith("pending"), `status ${await text(page, "#draft-status")}`);
  check((await text(page, "#draft-rebase")).startsWith("clean"), `rebase status ${await text(page, "#draft-rebase")}`);
  check((await text(page, "#draft-change-count")) === "2", "change count");
  check((await text(page, "#draft-wiki")) === "javascript:window.__xss=1", "source wiki shown as text");
  check((await page.locator("#draft-wiki a").count()) === 0, "source wiki must not become a link");

  const changes = page.locator("#change-list > li");
  check((await changes.count()) === 2, `${await changes.count()} changes listed, want 2`);
  const changeText = await page.locator("#change-list").innerText();
  for (const want of [robotID, "Person", "create", "update"]) {
    check(changeText.includes(want), `the changes lack ${want}`);
  }

  const diff = await page.locator("#diff-list").innerText();
  for (const want of ["replace", "/label", '"Human being"', "Missing_parent", "Before (canonical)", "After (this draft)"]) {
    check(diff.includes(want), `the diff lacks ${want}`);
  }
  check(diff.includes("<b onmouseover=window.__xss=1>bold</b>"), "the entity's markup is not shown as text");
  check((await page.locator("main img, main b, main script").count()) === 0, "API data became markup");
  check((await page.evaluate(() => window.__xss)) === undefined, "a script from the API's data ran");
  console.log("status, changes and diff render; markup in the data stays text");
}

/** tabTo presses Tab until the element with id has the focus, and checks its focus is visible. */
async function tabTo(page, id) {
  for (let i = 0; i < 200; i++) {
    await page.keyboard.press("Tab");
    if ((await page.evaluate(() => document.activeElement?.id)) === id) {
      const outline = await page.evaluate(() => {
        const style = getComputedStyle(document.activeElement);
        return `${style.outlineStyle} ${style.outlineWidth}`;
      });
      check(!outline.startsWith("none") && !outline.endsWith(" 0px"), `#${id} has the focus but no visible outline (${outline})`);
      return i + 1;
    }
  }
  throw new Error(`Tab never reached #${id}`);
}

/** validateByKeyboard reaches Validate with Tab, presses Enter and checks the report. */
async function validateByKeyboard(page) {
  const presses = await tabTo(page, "validate");
  check((await page.evaluate(() => document.activeElement.tagName)) === "BUTTON", "Validate is not a button");
  const answered = page.waitForResponse((r) => r.url().endsWith("/validate") && r.request().method() === "POST");
  await page.keyboard.press("Enter");
  check((await answered).status() === 200, "POST …/validate did not answer 200");
  const result = page.locator("#validation-result");
  check((await result.getAttribute("aria-live")) === "polite", "the validation result is not a live region");
  const finding = result.locator("li.finding", { has: page.locator(".finding-code", { hasText: "unresolved_reference" }) });
  await finding.first().waitFor({ timeout: 15_000 });
  const pointer = await finding.first().locator(".finding-path").innerText();
  check(pointer === "/parents/0", `the finding's JSON Pointer is ${JSON.stringify(pointer)}, want /parents/0`);
  const file = await finding.first().locator(".finding-file").innerText();
  check(file.includes(robotID), `the finding's file is ${file}`);
  check((await finding.first().innerText()).includes("error"), "the finding's severity is not shown");
  check((await text(page, "#report-heading")) === "Not valid", "verdict");
  check((await text(page, "#draft-status")).startsWith("pending"), "a draft with errors must stay pending");
  const versions = await result.locator(".versions").innerText();
  check(versions.includes("→"), `no version advice shown: ${versions}`);
  const shown = await page.locator("main").innerText();
  for (const slip of ["[object ", "undefined", "NaN"]) {
    check(!shown.includes(slip), `the page shows ${JSON.stringify(slip)}`);
  }
  console.log(`Validate reached with ${presses} Tab presses; the finding unresolved_reference at /parents/0 is shown`);
}

/** checkLastValidationKept reopens the page: the last validation's report is shown again. */
async function checkLastValidationKept(page) {
  await page.reload();
  await page.locator("#report-heading").waitFor({ timeout: 15_000 });
  const heading = await text(page, "#report-heading");
  check(heading === "Last validation: Not valid", `after a reload the report heading is ${JSON.stringify(heading)}`);
  const finding = page.locator("#validation-result li.finding .finding-code", { hasText: "unresolved_reference" });
  check((await finding.count()) > 0, "after a reload the last validation's finding is not shown");
  console.log("the last validation's report is shown again after a reload");
}

/** withdrawByKeyboard takes the confirm step back once with Escape, then withdraws. */
async function withdrawByKeyboard(page, token) {
  await tabTo(page, "withdraw-start");
  await page.keyboard.press("Enter");
  await page.locator("#withdraw-confirm").waitFor({ state: "visible" });
  check((await page.evaluate(() => document.activeElement.id)) === "withdraw-no", "the confirm step must focus Cancel");
  await page.keyboard.press("Escape");
  await page.locator("#withdraw-confirm").waitFor({ state: "hidden" });
  check((await page.evaluate(() => document.activeElement.id)) === "withdraw-start", "Escape must return the focus");
  const still = await fetch(`${baseURL}/api/v1/drafts/${token}`);
  check(still.status === 200, "cancelling withdrew the draft");

  await page.keyboard.press("Enter");
  await page.keyboard.press("Shift+Tab");
  check((await page.evaluate(() => document.activeElement.id)) === "withdraw-yes", "Shift+Tab from Cancel must reach Yes");
  await page.keyboard.press("Enter");
  await page.locator("#notice", { hasText: "withdrawn" }).waitFor({ timeout: 15_000 });
  check(await page.locator("#changes").isHidden(), "the draft is still shown after withdrawing");
  const gone = await fetch(`${baseURL}/api/v1/drafts/${token}`);
  check(gone.status === 404, `GET the withdrawn draft: ${gone.status}, want 404`);
  await page.reload();
  await page.locator("#notice", { hasText: "Draft not found" }).waitFor({ timeout: 15_000 });
  console.log("withdrawn through the confirm step; the link now says the draft is not found");
}

/** checkBadLinks checks the messages for a link without a token, with an unknown and a malformed one. */
async function checkBadLinks(page) {
  await page.goto(`${baseURL}/drafts`);
  await page.locator("#notice", { hasText: "holds no draft token" }).waitFor({ timeout: 15_000 });
  await page.goto(`${baseURL}/drafts#not-a-real-token`);
  await page.locator("#notice", { hasText: "Draft not found" }).waitFor({ timeout: 15_000 });
  check(await page.locator("#draft").isHidden(), "an unknown token shows a draft");
  await page.goto(`${baseURL}/drafts#..%2Fhealth`);
  await page.locator("#notice", { hasText: "malformed" }).waitFor({ timeout: 15_000 });
  console.log("a missing, an unknown and a malformed token are explained");
}

/** checkPhone checks that the page fits a phone's width and saves its picture. */
async function checkPhone(page) {
  await page.setViewportSize({ width: 390, height: 844 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 390, `at 390 px the page is ${width} px wide (scrolls sideways)`);
  await screenshot(page, phoneShot);
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** checkTokenKept fails when the token left the fragment other than in an API path. */
async function checkTokenKept(seen, token) {
  const api = `${baseURL}/api/v1/drafts/${token}`;
  check(seen.urls.some((url) => url.startsWith(api)), "the page never called the API with the token");
  for (const url of seen.urls) {
    if (url.includes(token) && !(url.startsWith(api) && !url.includes("?"))) {
      throw new Error(`the token was sent in ${url}`);
    }
  }
  if (process.env.SERVER_LOG) {
    const log = await readFile(process.env.SERVER_LOG, "utf8");
    check(!log.includes(token), `the server log ${process.env.SERVER_LOG} holds the token`);
    console.log("the server log does not hold the token");
  }
}

async function main() {
  const token = await createDraft();
  await withPage(desktopShot, async (page, seen) => {
    const opened = await page.goto(`${baseURL}/drafts#${token}`, { waitUntil: "load" });
    check(opened?.status() === 200, `GET /drafts: ${opened?.status()}`);
    const csp = (await opened.allHeaders())["content-security-policy"] ?? "";
    check(csp.includes("default-src 'none'"), `the page's Content-Security-Policy is ${JSON.stringify(csp)}`);

    await checkDraftShown(page);
    await validateByKeyboard(page);
    await checkLastValidationKept(page);
    await screenshot(page, desktopShot);
    await checkPhone(page);
    check(seen.consoleErrors.length === 0, `the page logged errors: ${seen.consoleErrors.join("; ")}`);

    await withdrawByKeyboard(page, token);
    await checkBadLinks(page);

    checkClean(seen);
    // The 404s of the last steps log "Failed to load resource"; nothing else may.
    const other = seen.consoleErrors.filter((m) => !m.includes("404"));
    check(other.length === 0, `the page logged errors: ${other.join("; ")}`);
    await checkTokenKept(seen, token);
  });
}

run("draft page browser test", main);
