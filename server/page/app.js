// The draft page behind a capability URL, <base>/drafts#<token>.
//
// The token is the URL fragment, which the browser never sends: this script reads it and calls
// the JSON API with it in the path (api/v1/drafts/{token}…), never in a query string. Everything
// the API returns is user content (titles, descriptions, whole entities), so it reaches the page
// only as text nodes and attribute values set through the DOM, never as markup; the page's
// Content-Security-Policy (require-trusted-types-for 'script') makes the browser refuse any
// string assigned to innerHTML and its kin. URLs resolve against the page, so the page also works
// when the hub is served below a path.
"use strict";

(() => {
  const apiBase = "api/v1/drafts/";
  const statuses = {
    pending: "not validated since its last change",
    validated: "the last validation found no errors",
    submitted: "handed in for review; it can no longer change",
    expired: "past its expiry date",
  };
  const rebaseStatuses = {
    clean: "no entity it changes was changed upstream",
    conflict: "entities it changes were changed upstream since",
  };

  let token = "";

  const byId = (id) => document.getElementById(id);

  // el builds an element. Children that are not nodes become text nodes, never markup.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs ?? {})) {
      if (name === "class") {
        node.className = value;
      } else {
        node.setAttribute(name, value);
      }
    }
    appendAll(node, children);
    return node;
  }

  function appendAll(node, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) {
        continue;
      }
      if (Array.isArray(child)) {
        appendAll(node, child);
      } else {
        node.append(child instanceof Node ? child : String(child));
      }
    }
  }

  // fill replaces node's children, as el does: arrays flattened, text as text nodes.
  function fill(node, ...children) {
    node.replaceChildren();
    appendAll(node, children);
  }

  // known returns value when it is one of the choices (for class names), else "other".
  function known(value, choices) {
    return Object.hasOwn(choices, value) ? value : "other";
  }

  function plural(n, noun) {
    return `${n} ${noun}${n === 1 ? "" : "s"}`;
  }

  function time(iso) {
    const date = new Date(iso);
    return el("time", { datetime: String(iso) }, Number.isNaN(date.getTime()) ? iso : date.toLocaleString());
  }

  function json(value) {
    return el("pre", { class: "json", tabindex: "0" }, JSON.stringify(value, null, 2));
  }

  function entityName(type, id) {
    return [el("span", { class: "entity-type" }, type), " ", el("code", { class: "entity-id" }, id)];
  }

  function changeBadge(changeType) {
    const kind = known(changeType, { create: 1, update: 1, delete: 1 });
    return el("span", { class: `badge change-${kind}` }, changeType);
  }

  // ApiError is a refusal from the API, carrying its problem+json body when there is one.
  class ApiError extends Error {
    constructor(status, problem) {
      super(problem?.detail || problem?.title || `HTTP ${status}`);
      this.status = status;
      this.problem = problem;
    }
  }

  // call sends one request about the draft. The token is percent-encoded into the path only.
  async function call(method, suffix) {
    let response;
    try {
      response = await fetch(apiBase + encodeURIComponent(token) + suffix, {
        method,
        headers: { Accept: "application/json" },
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
        redirect: "error",
      });
    } catch {
      throw new Error("The server could not be reached. Check the connection and try again.");
    }
    if (response.status === 204) {
      return null;
    }
    const type = response.headers.get("Content-Type") ?? "";
    const body = type.includes("json") ? await response.json().catch(() => null) : null;
    if (!response.ok) {
      throw new ApiError(response.status, body);
    }
    return body;
  }

  // explain turns an error into a sentence for the reader.
  function explain(err) {
    if (err instanceof ApiError) {
      if (err.status === 404) {
        return `Draft not found (the server answered ${err.status}: ${err.message}). The link may be incomplete, or the draft was withdrawn or has expired.`;
      }
      return `The server answered ${err.status}: ${err.message}`;
    }
    return err instanceof Error ? err.message : String(err);
  }

  function notice(text, kind) {
    const node = byId("notice");
    node.className = `notice ${kind ?? ""}`.trim();
    node.textContent = text;
    node.hidden = text === "";
  }

  const sections = ["draft", "changes", "validation", "diff", "withdraw"];

  function showSections(shown) {
    for (const id of sections) {
      byId(id).hidden = !shown;
    }
  }

  // labelled shows a value as a badge followed by what it means.
  function labelled(id, prefix, value, meanings) {
    fill(
      byId(id),
      el("span", { class: `badge ${prefix}-${known(value, meanings)}` }, value),
      meanings[value] ? [" ", el("span", { class: "meta" }, meanings[value])] : null,
    );
  }

  function renderStatus(status) {
    labelled("draft-status", "status", status, statuses);
  }

  function renderDraft(draft) {
    const title = draft.title || "Untitled draft";
    byId("page-title").textContent = title;
    document.title = `${title} · Draft · Ontology Hub`;
    renderStatus(draft.status);
    labelled("draft-rebase", "rebase", draft.rebase_status, rebaseStatuses);
    byId("draft-change-count").textContent = String(draft.change_count);
    byId("draft-base").textContent = draft.base_commit_sha ?? "none (nothing was ingested yet)";
    // Shown as text, not as a link: the value is whatever the author sent.
    byId("draft-wiki").textContent = draft.source_wiki ?? "not given";
    fill(byId("draft-created"), time(draft.created_at));
    fill(byId("draft-updated"), time(draft.updated_at));
    fill(byId("draft-expires"), time(draft.expires_at));
    const description = byId("draft-description");
    description.textContent = draft.description ?? "";
    description.hidden = !draft.description;
    const conflicts = draft.conflicts ?? [];
    byId("draft-conflicts").hidden = conflicts.length === 0;
    fill(
      byId("draft-conflict-list"),
      conflicts.map((c) => el("li", null, entityName(c.entity_type, c.entity_id))),
    );
  }

  function renderChanges(changes) {
    byId("changes-heading").textContent = `Changes (${changes.length})`;
    const list = byId("change-list");
    if (changes.length === 0) {
      fill(list, el("li", { class: "empty" }, "This draft has no changes yet."));
      return;
    }
    fill(
      list,
      changes.map((c) =>
        el(
          "li",
          { class: "card change" },
          el("h3", null, changeBadge(c.change_type), " ", entityName(c.entity_type, c.entity_id)),
          c.conflict && el("p", { class: "badge conflict" }, "rebase conflict: changed upstream since"),
          el("p", { class: "meta" }, "Last changed ", time(c.updated_at)),
          c.patch && el("details", null, el("summary", null, `Patch as sent (${plural(c.patch.length, "operation")})`), json(c.patch)),
          c.entity
            ? el("details", null, el("summary", null, "The entity as the draft makes it"), json(c.entity))
            : el("p", null, "Deletes the entity."),
        ),
      ),
    );
  }

  function patchOperation(op) {
    return el(
      "li",
      null,
      el("code", { class: "op" }, op.op),
      " ",
      el("code", { class: "pointer" }, op.path === "" ? "(whole entity)" : op.path),
      op.from !== undefined && [" from ", el("code", { class: "pointer" }, op.from)],
      op.value !== undefined && [" ", el("code", { class: "value" }, JSON.stringify(op.value))],
    );
  }

  function renderDiff(entries) {
    const list = byId("diff-list");
    if (entries.length === 0) {
      fill(list, el("li", { class: "empty" }, "Nothing to compare: the draft has no changes."));
      return;
    }
    // Open the versions when there are few, so they can be read without a click.
    const open = entries.length <= 10;
    fill(
      list,
      entries.map((e) => {
        const patch = e.patch ?? [];
        const versions = el("div", { class: "sides" });
        if (e.before !== null) {
          versions.append(el("div", { class: "side before" }, el("h4", null, "Before (canonical)"), json(e.before)));
        }
        if (e.after !== null) {
          versions.append(el("div", { class: "side after" }, el("h4", null, "After (this draft)"), json(e.after)));
        }
        const details = el("details", null, el("summary", null, "Before and after"), versions);
        details.open = open;
        return el(
          "li",
          { class: "card diff-entry" },
          el("h3", null, changeBadge(e.change_type), " ", entityName(e.entity_type, e.entity_id)),
          patch.length > 0
            ? el("ul", { class: "ops", "aria-label": "JSON Patch" }, patch.map(patchOperation))
            : el("p", null, e.change_type === "delete" ? "The entity is removed." : "A new entity."),
          details,
        );
      }),
    );
  }

  function finding(f) {
    const severity = known(f.severity, { error: 1, warning: 1 });
    const where = f.entity_id || f.entity_type ? entityName(f.entity_type, f.entity_id) : "the repository";
    return el(
      "li",
      { class: `card finding finding-${severity}` },
      el("p", { class: "finding-head" }, el("span", { class: `badge severity-${severity}` }, f.severity), " ",
        el("code", { class: "finding-code" }, f.code)),
      el("p", { class: "message" }, f.message),
      el(
        "dl",
        { class: "facts" },
        el("dt", null, "Entity"), el("dd", null, where),
        el("dt", null, "File"), el("dd", null, el("code", { class: "finding-file" }, f.file || "—")),
        el("dt", null, "JSON Pointer"),
        el("dd", null, f.path ? el("code", { class: "finding-path" }, f.path) : "the whole file"),
      ),
    );
  }

  // errorsFirst orders findings errors before warnings, keeping the engine's order within each.
  function errorsFirst(findings) {
    return [...findings].sort((a, b) => (a.severity === "error" ? 0 : 1) - (b.severity === "error" ? 0 : 1));
  }

  function versionAdvice(v) {
    const name = v.kind === "ontology" ? "the ontology" : [v.kind, " ", el("code", null, v.id)];
    return el(
      "li",
      { class: "card advice" },
      el("p", null, name, ": ",
        el("code", { class: "version-current" }, v.current_version || "no release"), " → ",
        el("code", { class: "version-suggested" }, v.suggested_version || "—"), " ",
        el("span", { class: `badge bump-${known(v.bump, { major: 1, minor: 1, patch: 1 })}` }, v.bump)),
      v.reasons.length > 0 && el("ul", { class: "reasons" }, v.reasons.map((r) => el("li", null, r))),
    );
  }

  function entityImpact(c) {
    return el(
      "li",
      null,
      changeBadge(c.change_type), " ", entityName(c.entity_type, c.entity_id), ": ", c.bump,
      c.reasons.length > 0 && ` (${c.reasons.join("; ")})`,
    );
  }

  // renderReport shows a validation report: one just made, or (last) the draft's last one as
  // kept by the hub, with when it ran and whether the change set changed since.
  function renderReport(report, last) {
    const errors = report.findings.filter((f) => f.severity === "error").length;
    const warnings = report.findings.length - errors;
    const result = byId("validation-result");
    fill(result, [
      el("h3", { id: "report-heading" }, (last ? "Last validation: " : "") + (report.valid ? "Valid" : "Not valid")),
      last && el("p", null, "Checked ", time(last.checked_at),
        last.current ? "." : "; the change set has changed since, so validate again."),
      el("p", { class: report.valid ? "verdict ok" : "verdict bad" },
        `${plural(errors, "error")}, ${plural(warnings, "warning")}. `,
        last ? "" : `The draft is now ${report.status}.`),
      el("h4", null, "Findings"),
      report.findings.length > 0
        ? el("ol", { class: "cards findings" }, errorsFirst(report.findings).map(finding))
        : el("p", null, "No findings."),
      el("h4", null, "Version advice"),
      report.versions.length > 0
        ? el("ul", { class: "cards versions" }, report.versions.map(versionAdvice))
        : el("p", null, "No version needs to change."),
      report.changes.length > 0 && [el("h4", null, "Changes by impact"), el("ul", { class: "impact" }, report.changes.map(entityImpact))],
    ]);
    if (!last) {
      renderStatus(report.status);
    }
  }

  async function validate() {
    const button = byId("validate");
    const result = byId("validation-result");
    button.disabled = true;
    button.textContent = "Validating…";
    result.setAttribute("aria-busy", "true");
    try {
      renderReport(await call("POST", "/validate"));
    } catch (err) {
      fill(result, el("p", { class: "notice error" }, `Validation failed. ${explain(err)}`));
    } finally {
      result.removeAttribute("aria-busy");
      button.disabled = false;
      button.textContent = "Validate";
    }
  }

  function askWithdraw(asking) {
    byId("withdraw-confirm").hidden = !asking;
    byId("withdraw-start").hidden = asking;
    // The safe choice takes the focus; Escape cancels.
    (asking ? byId("withdraw-no") : byId("withdraw-start")).focus();
  }

  async function withdraw() {
    const yes = byId("withdraw-yes");
    yes.disabled = true;
    try {
      await call("DELETE", "");
    } catch (err) {
      yes.disabled = false;
      notice(`The draft was not withdrawn. ${explain(err)}`, "error");
      return;
    }
    showSections(false);
    byId("page-title").textContent = "Draft withdrawn";
    document.title = "Draft withdrawn · Ontology Hub";
    notice("The draft was withdrawn. Its link no longer opens it.", "ok");
    byId("notice").focus();
  }

  function reset() {
    showSections(false);
    byId("page-title").textContent = "Draft";
    byId("validation-result").replaceChildren();
    byId("withdraw-confirm").hidden = true;
    byId("withdraw-start").hidden = false;
    byId("withdraw-yes").disabled = false;
  }

  async function load() {
    reset();
    let raw = location.hash.replace(/^#/, "");
    try {
      raw = decodeURIComponent(raw);
    } catch {
      // A stray % is kept as it is; the API will simply not find such a draft.
    }
    token = raw.trim();
    if (token === "") {
      notice("This link holds no draft token. A draft's link ends in #, then its token, as the hub returned it when the draft was created.", "error");
      return;
    }
    // Tokens are base64url. Anything else finds no draft anyway, and must not become a path
    // such as ".." in the API request.
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(token)) {
      notice("This link's token is malformed: a draft's link ends in #, then 43 letters, digits, - or _. Copy the whole link again.", "error");
      return;
    }
    notice("Loading the draft…");
    try {
      const [draft, changes, diff] = await Promise.all([call("GET", ""), call("GET", "/changes"), call("GET", "/diff")]);
      renderDraft(draft);
      if (draft.last_validation) {
        renderReport(draft.last_validation.report, draft.last_validation);
      }
      renderChanges(changes.items);
      renderDiff(diff.items);
      showSections(true);
      notice("");
    } catch (err) {
      notice(explain(err), "error");
    }
  }

  function start() {
    byId("notice").setAttribute("tabindex", "-1");
    byId("validate").addEventListener("click", validate);
    byId("withdraw-start").addEventListener("click", () => askWithdraw(true));
    byId("withdraw-no").addEventListener("click", () => askWithdraw(false));
    byId("withdraw-yes").addEventListener("click", withdraw);
    byId("withdraw-confirm").addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        askWithdraw(false);
      }
    });
    window.addEventListener("hashchange", load);
    load();
  }

  start();
})();
