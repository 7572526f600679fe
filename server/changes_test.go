package server

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/ontohub/ontohub/gen"
)

// draftFlow drives one draft through the generated client.
type draftFlow struct {
	*browseEnv
	t     *testing.T
	token string
}

// change adds a change and returns the response.
func (f *draftFlow) change(body string) *gen.AddDraftChangeResponse {
	f.t.Helper()
	r, err := f.Client.AddDraftChangeWithBodyWithResponse(f.ctx, f.token, "application/json", strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// mustChange adds a change that must be accepted.
func (f *draftFlow) mustChange(body string) gen.DraftChange {
	f.t.Helper()
	r := f.change(body)
	if r.StatusCode() != http.StatusOK || r.JSON200 == nil {
		f.t.Fatalf("change %s: status %d, body %s", body, r.StatusCode(), r.Body)
	}
	assertNoStore(f.t, r.HTTPResponse.Header)
	return *r.JSON200
}

func (f *draftFlow) validate() gen.ValidationReport {
	f.t.Helper()
	r, err := f.Client.ValidateDraftWithResponse(f.ctx, f.token)
	if err != nil || r.JSON200 == nil {
		f.t.Fatalf("validate: %v %s", err, r.Body)
	}
	return *r.JSON200
}

func (f *draftFlow) draft() gen.Draft {
	f.t.Helper()
	r, err := f.Client.GetDraftWithResponse(f.ctx, f.token)
	if err != nil || r.JSON200 == nil {
		f.t.Fatalf("get draft: %v %s", err, r.Body)
	}
	return *r.JSON200
}

func findingKeys(r gen.ValidationReport) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, string(f.Severity)+" "+string(f.Code)+" "+f.EntityType+"/"+f.EntityId+" "+f.Path)
	}
	return out
}

// copyExample copies the example ontology to a directory the test may change.
func copyExample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(browseExample)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDraftChangeSetFlow(t *testing.T) {
	t.Parallel()
	b := newBrowseEnv(t)
	repo := copyExample(t)
	b.ingest(repo)
	f := &draftFlow{browseEnv: b, t: t}
	f.token = createDraft(t, b.testEnv, gen.DraftCreate{Title: strPtr("Nicknames and robots")})
	d := f.draft()
	if d.BaseCommitSha == nil || *d.BaseCommitSha != browseCommit || d.RebaseStatus != gen.RebaseStatusClean || d.ChangeCount != 0 || *d.Title != "Nicknames and robots" {
		t.Fatalf("new draft = %+v", d)
	}

	// create, update, delete — with mistakes the validation must find.
	f.mustChange(`{"change_type":"create","entity_type":"property","entity_id":"Has_nickname",
		"entity":{"id":"Has_nickname","label":"Nickname","description":"What friends call someone","datatype":"Text","cardinality":"single"}}`)
	f.mustChange(`{"change_type":"create","entity_type":"category","entity_id":"Robot",
		"entity":{"id":"Robot","label":"Robot","parents":["Agent","Ghost"]}}`)
	person := f.mustChange(`{"change_type":"update","entity_type":"category","entity_id":"Person",
		"patch":[{"op":"add","path":"/optional_properties/-","value":"Has_nickname"}]}`)
	if !strings.Contains(string(person.Entity), `"optional_properties":["Has_orcid","Has_nickname"]`) || person.ChangeType != gen.DraftChangeChangeTypeUpdate {
		t.Errorf("updated Person = %s", person.Entity)
	}
	f.mustChange(`{"change_type":"delete","entity_type":"category","entity_id":"Teaching_assistant"}`)

	report := f.validate()
	keys := findingKeys(report)
	for _, want := range []string{
		"error unresolved_reference category/Robot /parents/1",
		"error unresolved_reference module/Lab /categories/3",
		"warning orphan property/Has_nickname ",
	} {
		if !slices.Contains(keys, want) {
			t.Errorf("findings %q lack %q", keys, want)
		}
	}
	if report.Valid || report.Status != gen.DraftStatusPending {
		t.Errorf("report valid=%v status=%s, want invalid and pending", report.Valid, report.Status)
	}

	// Fix: drop the ghost parent, take the deleted category out of its module, list the new
	// property in a module.
	f.mustChange(`{"change_type":"update","entity_type":"category","entity_id":"Robot","patch":[{"op":"remove","path":"/parents/1"},{"op":"add","path":"/description","value":"A machine"}]}`)
	f.mustChange(`{"change_type":"update","entity_type":"module","entity_id":"Lab",
		"patch":[{"op":"test","path":"/categories/3","value":"Teaching_assistant"},{"op":"remove","path":"/categories/3"}]}`)
	f.mustChange(`{"change_type":"update","entity_type":"module","entity_id":"Core",
		"patch":[{"op":"add","path":"/properties/-","value":"Has_nickname"},{"op":"add","path":"/categories/-","value":"Robot"}]}`)
	report = f.validate()
	if !report.Valid || report.Status != gen.DraftStatusValidated {
		t.Fatalf("fixed draft: valid=%v status=%s findings %q", report.Valid, report.Status, findingKeys(report))
	}
	versions := map[string]string{}
	for _, v := range report.Versions {
		versions[string(v.Kind)+" "+v.Id] = v.SuggestedVersion
	}
	if versions["module Core"] != "1.1.0" || versions["module Lab"] != "1.0.0" {
		t.Errorf("version advice = %v", versions)
	}
	if d := f.draft(); d.Status != gen.DraftStatusValidated || d.ChangeCount != 6 {
		t.Errorf("draft after validation: %s with %d changes", d.Status, d.ChangeCount)
	} else if d.LastValidation == nil || !d.LastValidation.Current || !d.LastValidation.Report.Valid ||
		d.LastValidation.Report.Status != gen.DraftStatusValidated || len(d.LastValidation.Report.Versions) != len(report.Versions) {
		t.Errorf("last validation kept = %+v", d.LastValidation)
	}

	// Preview: entity, list, graph, used-by and counts as the draft makes them.
	token := &f.token
	got, err := b.Client.GetEntityWithResponse(f.ctx, gen.EntityTypeCategory, "Person", &gen.GetEntityParams{DraftToken: token})
	if err != nil || got.JSON200 == nil {
		t.Fatalf("preview Person: %v %s", err, got.Body)
	}
	if !strings.Contains(string(got.JSON200.SchemaDefinition), "Has_nickname") || got.JSON200.CommitSha != nil {
		t.Errorf("preview Person = %s (commit %v)", got.JSON200.SchemaDefinition, got.JSON200.CommitSha)
	}
	if cc := got.HTTPResponse.Header.Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("preview Cache-Control = %q", cc)
	}
	if !slices.Contains(got.HTTPResponse.Header.Values("Vary"), "Draft-Token") {
		t.Errorf("preview Vary = %q", got.HTTPResponse.Header.Values("Vary"))
	}
	canonical := b.entity(gen.EntityTypeCategory, "Person")
	if strings.Contains(string(canonical.SchemaDefinition), "Has_nickname") {
		t.Errorf("canonical Person changed: %s", canonical.SchemaDefinition)
	}
	list, err := b.Client.ListEntitiesWithResponse(f.ctx, gen.EntityTypeCategory, &gen.ListEntitiesParams{DraftToken: token, Limit: ptr(gen.Limit(100))})
	if err != nil || list.JSON200 == nil {
		t.Fatalf("preview list: %v", err)
	}
	var ids []string
	for _, e := range list.JSON200.Items {
		ids = append(ids, e.EntityId)
	}
	if !slices.Contains(ids, "Robot") || slices.Contains(ids, "Teaching_assistant") {
		t.Errorf("preview categories = %v", ids)
	}
	search, err := b.Client.ListEntitiesWithResponse(f.ctx, gen.EntityTypeProperty, &gen.ListEntitiesParams{DraftToken: token, Q: ptr("nick")})
	if err != nil || search.JSON200 == nil || len(search.JSON200.Items) != 1 {
		t.Errorf("preview search for nick: %v %s", err, search.Body)
	}
	graph, err := b.Client.GetCategoryGraphWithResponse(f.ctx, "Robot", &gen.GetCategoryGraphParams{DraftToken: token})
	if err != nil || graph.JSON200 == nil || len(graph.JSON200.Ancestors) != 1 || graph.JSON200.Ancestors[0].EntityId != "Agent" {
		t.Errorf("preview graph of Robot: %v %s", err, graph.Body)
	}
	usedBy, err := b.Client.GetUsedByWithResponse(f.ctx, gen.UsableEntityTypeProperty, "Has_nickname", &gen.GetUsedByParams{DraftToken: token})
	if err != nil || usedBy.JSON200 == nil {
		t.Fatalf("preview used-by: %v %s", err, usedBy.Body)
	}
	var users []string
	for _, u := range usedBy.JSON200.Categories {
		users = append(users, u.EntityId)
	}
	if !slices.Contains(users, "Person") || !slices.Contains(users, "Student") {
		t.Errorf("preview used-by Has_nickname = %v", users)
	}
	counts, err := b.Client.GetEntityCountsWithResponse(f.ctx, func(_ context.Context, r *http.Request) error {
		r.Header.Set("Draft-Token", f.token)
		return nil
	})
	if err != nil || counts.JSON200 == nil || counts.JSON200.Counts.Property != b.counts().Counts.Property+1 {
		t.Errorf("preview counts: %v %s", err, counts.Body)
	}
	// An unknown token is the one draft 404; nothing is previewed.
	missing, err := b.Client.GetEntityWithResponse(f.ctx, gen.EntityTypeCategory, "Person", &gen.GetEntityParams{DraftToken: ptr(strings.Repeat("A", 43))})
	if err != nil || missing.StatusCode() != http.StatusNotFound {
		t.Errorf("unknown preview token: %v %d", err, missing.StatusCode())
	}
	if strings.Contains(b.Logs.String(), f.token) {
		t.Error("the token appears in the log")
	}

	// Diff: before, after and the patch between.
	diff, err := b.Client.GetDraftDiffWithResponse(f.ctx, f.token)
	if err != nil || diff.JSON200 == nil {
		t.Fatalf("diff: %v", err)
	}
	byID := map[string]gen.DraftDiffEntry{}
	for _, e := range diff.JSON200.Items {
		byID[e.EntityId] = e
	}
	pd := byID["Person"]
	if !strings.Contains(string(pd.Before), `"optional_properties":["Has_orcid"]`) || !patchTurns(t, pd.Patch, pd.Before, pd.After) {
		t.Errorf("Person diff = before %s, after %s, patch %s", pd.Before, pd.After, pd.Patch)
	}
	if e := byID["Teaching_assistant"]; string(e.After) != "null" && e.After != nil || e.Before == nil {
		t.Errorf("delete diff = %+v", e)
	}
	if e := byID["Robot"]; e.Before != nil && string(e.Before) != "null" {
		t.Errorf("create diff has a before: %s", e.Before)
	}

	// Any change to the change set takes the validation back.
	f.mustChange(`{"change_type":"update","entity_type":"category","entity_id":"Robot","patch":[{"op":"replace","path":"/description","value":"A machine that acts"}]}`)
	if d := f.draft(); d.Status != gen.DraftStatusPending || d.LastValidation == nil || d.LastValidation.Current {
		t.Errorf("after a change: status %s, last validation %+v; want pending and not current", d.Status, d.LastValidation)
	}

	// A second draft changes nothing that moves upstream.
	other := &draftFlow{browseEnv: b, t: t, token: createDraft(t, b.testEnv, gen.DraftCreate{})}
	other.mustChange(`{"change_type":"update","entity_type":"category","entity_id":"Agent","patch":[{"op":"replace","path":"/label","value":"Actor"}]}`)

	// Upstream changes Person: a newer commit is ingested.
	personFile := filepath.Join(repo, "categories", "Person.json")
	data, err := os.ReadFile(personFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(personFile, []byte(strings.Replace(string(data), "A human being", "A human", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	const newer = "89abcdef0123456789abcdef0123456789abcdef"
	if _, err := b.ingestOnly(repo, newer); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Snapshots.Load(b.ctx); err != nil {
		t.Fatal(err)
	}
	d = f.draft()
	if d.RebaseStatus != gen.RebaseStatusConflict || len(d.Conflicts) != 1 || d.Conflicts[0].EntityId != "Person" || *d.BaseCommitSha != browseCommit {
		t.Errorf("conflicted draft: %s %+v base %s", d.RebaseStatus, d.Conflicts, *d.BaseCommitSha)
	}
	if od := other.draft(); od.RebaseStatus != gen.RebaseStatusClean || *od.BaseCommitSha != newer {
		t.Errorf("clean draft: %s base %s, want clean on %s", od.RebaseStatus, *od.BaseCommitSha, newer)
	}
	report = f.validate()
	if !slices.Contains(findingKeys(report), "warning rebase_conflict category/Person ") {
		t.Errorf("findings %q lack the rebase conflict", findingKeys(report))
	}
	changes, err := b.Client.ListDraftChangesWithResponse(f.ctx, f.token)
	if err != nil || changes.JSON200 == nil || len(changes.JSON200.Items) != 6 {
		t.Fatalf("changes: %v %s", err, changes.Body)
	}
	for _, c := range changes.JSON200.Items {
		if c.Conflict != (c.EntityId == "Person") {
			t.Errorf("change %s conflict = %v", c.EntityId, c.Conflict)
		}
	}
	// Removing the conflicting change resolves the conflict.
	for _, c := range changes.JSON200.Items {
		if c.EntityId == "Person" {
			r, err := b.Client.DeleteDraftChangeWithResponse(f.ctx, f.token, c.Id)
			if err != nil || r.StatusCode() != http.StatusNoContent {
				t.Fatalf("delete change: %v %d", err, r.StatusCode())
			}
			again, _ := b.Client.DeleteDraftChangeWithResponse(f.ctx, f.token, c.Id)
			if again.StatusCode() != http.StatusNotFound {
				t.Errorf("second delete of a change: %d", again.StatusCode())
			}
		}
	}
	if d := f.draft(); d.RebaseStatus != gen.RebaseStatusClean || d.ChangeCount != 5 {
		t.Errorf("after removing the conflict: %s, %d changes", d.RebaseStatus, d.ChangeCount)
	}
}

// patchTurns reports whether patch, applied to before, gives after (as JSON values).
func patchTurns(t *testing.T, patch, before, after json.RawMessage) bool {
	t.Helper()
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		t.Errorf("diff patch %s: %v", patch, err)
		return false
	}
	applied, err := p.Apply(before)
	if err != nil {
		t.Errorf("apply diff patch %s: %v", patch, err)
		return false
	}
	return jsonpatch.Equal(applied, after)
}

func ptr[T any](v T) *T { return &v }

func TestDraftChangeErrors(t *testing.T) {
	t.Parallel()
	b := newBrowseEnv(t)
	b.ingest(browseExample)
	f := &draftFlow{browseEnv: b, t: t, token: createDraft(t, b.testEnv, gen.DraftCreate{})}

	cases := []struct {
		name, body string
		status     int
		field      string
	}{
		{"create of an existing entity", `{"change_type":"create","entity_type":"category","entity_id":"Person","entity":{"id":"Person"}}`, 409, ""},
		{"update of a missing entity", `{"change_type":"update","entity_type":"category","entity_id":"Nobody","patch":[{"op":"add","path":"/x","value":1}]}`, 409, ""},
		{"delete of a missing entity", `{"change_type":"delete","entity_type":"category","entity_id":"Nobody"}`, 409, ""},
		{"failing test operation", `{"change_type":"update","entity_type":"category","entity_id":"Person","patch":[{"op":"test","path":"/label","value":"Nope"}]}`, 422, "patch/0"},
		{"missing path", `{"change_type":"update","entity_type":"category","entity_id":"Person","patch":[{"op":"add","path":"/label","value":"x"},{"op":"replace","path":"/nothing/deeper","value":1}]}`, 422, "patch/1"},
		{"create without entity", `{"change_type":"create","entity_type":"category","entity_id":"New"}`, 422, "entity"},
		{"unknown op", `{"change_type":"update","entity_type":"category","entity_id":"Person","patch":[{"op":"merge","path":"/label"}]}`, 400, "patch/0/op"},
		{"bad number", `{"change_type":"create","entity_type":"category","entity_id":"N","entity":{"id":"N","x":1e400}}`, 400, ""},
	}
	for _, tc := range cases {
		r := f.change(tc.body)
		p := decodeProblem(t, r.HTTPResponse, r.Body, tc.status)
		if tc.field != "" && !hasFieldError(p, gen.FieldErrorLocationBody, tc.field) {
			t.Errorf("%s: errors %s do not name %s", tc.name, r.Body, tc.field)
		}
	}
	if d := f.draft(); d.ChangeCount != 0 || d.UpdatedAt != d.CreatedAt {
		t.Errorf("refused changes were stored: %d changes", d.ChangeCount)
	}

	// Deleting an entity the draft creates drops the creation.
	f.mustChange(`{"change_type":"create","entity_type":"category","entity_id":"Temp","entity":{"id":"Temp","label":"Temp"}}`)
	if r := f.change(`{"change_type":"delete","entity_type":"category","entity_id":"Temp"}`); r.StatusCode() != http.StatusNoContent {
		t.Errorf("delete of a created entity: %d %s", r.StatusCode(), r.Body)
	}
	if d := f.draft(); d.ChangeCount != 0 {
		t.Errorf("creation not dropped: %d changes", d.ChangeCount)
	}

	// A change set sent with the draft is all or nothing.
	marker := newMarker(t)
	body := `{"source_wiki":"` + marker + `","changes":[
		{"change_type":"delete","entity_type":"category","entity_id":"Student"},
		{"change_type":"delete","entity_type":"category","entity_id":"Nobody"}]}`
	r, err := b.Client.CreateDraftWithBodyWithResponse(f.ctx, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	p := decodeProblem(t, r.HTTPResponse, r.Body, http.StatusConflict)
	if !strings.HasPrefix(p.Detail, "changes/1") {
		t.Errorf("detail %q does not name changes/1", p.Detail)
	}
	if n := countDrafts(t, b.testEnv, marker); n != 0 {
		t.Errorf("%d drafts stored", n)
	}
	created, err := b.Client.CreateDraftWithResponse(f.ctx, gen.DraftCreate{Changes: &[]gen.ChangeRequest{
		{ChangeType: gen.ChangeRequestChangeTypeDelete, EntityType: gen.EntityTypeCategory, EntityId: "Student"},
		{ChangeType: gen.ChangeRequestChangeTypeUpdate, EntityType: gen.EntityTypeTemplate, EntityId: "Nope/Deep",
			Patch: json.RawMessage(`[{"op":"add","path":"/x","value":1}]`)},
	}})
	if err != nil || created.StatusCode() != http.StatusConflict {
		t.Errorf("create with a bad second change: %v %d %s", err, created.StatusCode(), created.Body)
	}
	created, err = b.Client.CreateDraftWithResponse(f.ctx, gen.DraftCreate{Changes: &[]gen.ChangeRequest{
		{ChangeType: gen.ChangeRequestChangeTypeDelete, EntityType: gen.EntityTypeCategory, EntityId: "Student"},
		{ChangeType: gen.ChangeRequestChangeTypeCreate, EntityType: gen.EntityTypeCategory, EntityId: "Student",
			Entity: json.RawMessage(`{"id":"Student","label":"Pupil"}`)},
	}})
	if err != nil || created.JSON201 == nil {
		t.Fatalf("create with changes: %v %s", err, created.Body)
	}
	g := &draftFlow{browseEnv: b, t: t, token: tokenOf(t, created.JSON201.CapabilityUrl)}
	changes, err := b.Client.ListDraftChangesWithResponse(f.ctx, g.token)
	if err != nil || changes.JSON200 == nil || len(changes.JSON200.Items) != 1 || changes.JSON200.Items[0].ChangeType != gen.DraftChangeChangeTypeUpdate {
		t.Errorf("delete then create = %s", changes.Body)
	}
}

func TestDraftLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBrowseEnvWith(t, Config{DraftMaxChanges: 2, DraftMaxEntityBytes: 80})
	b.ingest(browseExample)
	client := b.Client
	resp, err := client.CreateDraftWithResponse(ctx, gen.DraftCreate{})
	if err != nil || resp.JSON201 == nil {
		t.Fatal(err)
	}
	token := tokenOf(t, resp.JSON201.CapabilityUrl)
	add := func(body string) (*gen.AddDraftChangeResponse, gen.Problem) {
		r, err := client.AddDraftChangeWithBodyWithResponse(ctx, token, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var p gen.Problem
		_ = json.Unmarshal(r.Body, &p)
		return r, p
	}
	if r, _ := add(`{"change_type":"delete","entity_type":"category","entity_id":"Student"}`); r.StatusCode() != 200 {
		t.Fatalf("first: %s", r.Body)
	}
	if r, p := add(`{"change_type":"create","entity_type":"category","entity_id":"Big","entity":{"id":"Big","description":"` + strings.Repeat("x", 100) + `"}}`); r.StatusCode() != 422 || !strings.Contains(p.Detail, "DRAFT_MAX_ENTITY_BYTES") {
		t.Errorf("big entity: %d %s", r.StatusCode(), r.Body)
	}
	if r, _ := add(`{"change_type":"delete","entity_type":"category","entity_id":"Employee"}`); r.StatusCode() != 200 {
		t.Fatalf("second: %s", r.Body)
	}
	if r, p := add(`{"change_type":"delete","entity_type":"category","entity_id":"Person"}`); r.StatusCode() != 422 || !strings.Contains(p.Detail, "DRAFT_MAX_CHANGES") {
		t.Errorf("third change: %d %s", r.StatusCode(), r.Body)
	}
}
