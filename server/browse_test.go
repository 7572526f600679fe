package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ingest"
	"github.com/ontohub/ontohub/internal/testdb"
	"github.com/ontohub/ontohub/migrate"
	"github.com/ontohub/ontohub/migrations"
)

// The browse tests each run on a database of their own: an ingest replaces the whole ontology
// (soft-deleting whatever the snapshot lacks), so they cannot share the package database with
// each other or with other tests.

// browseCommit is the commit every test ingest claims to come from.
const browseCommit = "0123456789abcdef0123456789abcdef01234567"

// browseSamples is a snapshot of the public ontology in the given layout.
func browseSamples(layout string) string {
	return filepath.Join("..", "ingest", "testdata", "samples", layout)
}

// browseExample is the example ontology shipped in the repository.
var browseExample = filepath.Join("..", "examples", "ontology")

// browseEnv is the full handler chain over a fresh database of its own.
type browseEnv struct {
	*testEnv
	t   testing.TB
	ctx context.Context
}

// newBrowseEnv creates and migrates a database for t alone and starts a server on it.
func newBrowseEnv(t testing.TB) *browseEnv {
	t.Helper()
	return newBrowseEnvWith(t, Config{})
}

// newBrowseEnvWith is newBrowseEnv with a server configuration.
func newBrowseEnvWith(t testing.TB, cfg Config) *browseEnv {
	t.Helper()
	url := newOwnDatabase(t, "server_browse")
	return &browseEnv{testEnv: newTestEnv(t, testOptions{DatabaseURL: url, Server: cfg}), t: t, ctx: context.Background()}
}

// newOwnDatabase creates and migrates a database for t alone, dropped when t ends.
func newOwnDatabase(t testing.TB, prefix string) string {
	t.Helper()
	ctx := context.Background()
	url, drop, err := testdb.Create(ctx, prefix)
	if err != nil {
		t.Fatalf("create database: %v", err)
	}
	// Registered first, so it runs after the server and its pool are closed.
	t.Cleanup(drop)
	if _, err := migrate.Apply(ctx, url, migrations.FS); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return url
}

// ingest loads a schema repository checkout into the database.
func (b *browseEnv) ingest(dir string) {
	b.t.Helper()
	if _, err := ingest.Run(b.ctx, b.Store, dir, ingest.Options{Commit: browseCommit}, io.Discard); err != nil {
		b.t.Fatalf("ingest %s: %v", dir, err)
	}
	if _, err := b.Snapshots.Load(b.ctx); err != nil {
		b.t.Fatalf("load snapshot: %v", err)
	}
}

// ingestOnly writes a checkout to the database at a commit without loading the snapshot: the
// replicas must hear of it by themselves.
func (b *browseEnv) ingestOnly(dir, commit string) (ingest.Result, error) {
	return ingest.Run(b.ctx, b.Store, dir, ingest.Options{Commit: commit}, io.Discard)
}

// sql runs a statement, for states the API cannot reach, and publishes the result as a new
// generation the server's snapshot then serves (rows written by hand have no ingest of their own).
func (b *browseEnv) sql(statement string, args ...any) {
	b.t.Helper()
	if _, err := b.Store.Pool().Exec(b.ctx, statement, args...); err != nil {
		b.t.Fatalf("%s: %v", statement, err)
	}
	if _, err := b.Store.Pool().Exec(b.ctx, `INSERT INTO ingests (commit_sha) SELECT commit_sha FROM ingests ORDER BY generation DESC LIMIT 1`); err != nil {
		b.t.Fatalf("publish: %v", err)
	}
	if _, err := b.Store.Pool().Exec(b.ctx, `INSERT INTO ingests (commit_sha) SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM ingests)`); err != nil {
		b.t.Fatalf("publish: %v", err)
	}
	if _, err := b.Snapshots.Load(b.ctx); err != nil {
		b.t.Fatalf("load snapshot: %v", err)
	}
}

// browseStatus fails the test unless the response has the wanted status.
func browseStatus(t testing.TB, what string, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s: status %d, want %d; body %s", what, resp.StatusCode, want, body)
	}
}

func (b *browseEnv) counts() gen.EntityCounts {
	b.t.Helper()
	r, err := b.Client.GetEntityCountsWithResponse(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	browseStatus(b.t, "counts", r.HTTPResponse, r.Body, http.StatusOK)
	return *r.JSON200
}

// browseCountList is the counts of categories, properties, subobjects, modules and bundles, and
// the total (which counts every kind).
func browseCountList(c gen.EntityCounts) [6]int {
	return [6]int{c.Counts.Category, c.Counts.Property, c.Counts.Subobject, c.Counts.Module, c.Counts.Bundle, c.Total}
}

func (b *browseEnv) entity(entityType gen.EntityType, id string) gen.Entity {
	b.t.Helper()
	r, err := b.Client.GetEntityWithResponse(b.ctx, entityType, id, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	browseStatus(b.t, "entity "+id, r.HTTPResponse, r.Body, http.StatusOK)
	return *r.JSON200
}

func (b *browseEnv) graph(id string) gen.CategoryGraph {
	b.t.Helper()
	r, err := b.Client.GetCategoryGraphWithResponse(b.ctx, id, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	browseStatus(b.t, "graph of "+id, r.HTTPResponse, r.Body, http.StatusOK)
	return *r.JSON200
}

func (b *browseEnv) usedBy(entityType gen.UsableEntityType, id string) gen.UsedBy {
	b.t.Helper()
	r, err := b.Client.GetUsedByWithResponse(b.ctx, entityType, id, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	browseStatus(b.t, "used-by of "+id, r.HTTPResponse, r.Body, http.StatusOK)
	return *r.JSON200
}

func (b *browseEnv) module(id string) gen.ModuleDetail {
	b.t.Helper()
	r, err := b.Client.GetModuleWithResponse(b.ctx, id, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	browseStatus(b.t, "module "+id, r.HTTPResponse, r.Body, http.StatusOK)
	return *r.JSON200
}

func (b *browseEnv) profile(id string) gen.ProfileDetail {
	b.t.Helper()
	r, err := b.Client.GetProfileWithResponse(b.ctx, id, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	browseStatus(b.t, "profile "+id, r.HTTPResponse, r.Body, http.StatusOK)
	return *r.JSON200
}

// walk lists every page of one entity type (limit per page, optional search and module) and
// returns the ids in the order received, checking the page invariants on the way.
func (b *browseEnv) walk(entityType gen.EntityType, limit int, q, module string) []string {
	b.t.Helper()
	params := &gen.ListEntitiesParams{}
	if limit > 0 {
		l := gen.Limit(limit)
		params.Limit = &l
	}
	if q != "" {
		params.Q = &q
	}
	if module != "" {
		params.Module = &module
	}
	var ids []string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			b.t.Fatal("walk does not end")
		}
		r, err := b.Client.ListEntitiesWithResponse(b.ctx, entityType, params)
		if err != nil {
			b.t.Fatal(err)
		}
		browseStatus(b.t, "list", r.HTTPResponse, r.Body, http.StatusOK)
		page := r.JSON200
		for _, e := range page.Items {
			if e.EntityType != entityType {
				b.t.Errorf("listing %s returned %s %s", entityType, e.EntityType, e.EntityId)
			}
			ids = append(ids, e.EntityId)
		}
		if !page.HasNext {
			if page.NextCursor != nil {
				b.t.Errorf("last page has next_cursor %q", *page.NextCursor)
			}
			return ids
		}
		if page.NextCursor == nil {
			b.t.Fatal("has_next without next_cursor")
		}
		if limit > 0 && len(page.Items) != limit {
			b.t.Errorf("a page before the last has %d items, want %d", len(page.Items), limit)
		}
		params.Cursor = page.NextCursor
	}
}

// problem fails the test unless resp is a problem+json document with the given status and
// detail, and returns it.
func (b *browseEnv) problem(resp *http.Response, body []byte, status int, detail string) gen.Problem {
	b.t.Helper()
	p := decodeProblem(b.t, resp, body, status)
	if detail != "" && p.Detail != detail {
		b.t.Errorf("detail = %q, want %q", p.Detail, detail)
	}
	return p
}

// browseNodes summarizes ancestors or descendants as "id@depth", "!" marking missing ones.
func browseNodes(nodes []gen.GraphNode) []string {
	var out []string
	for _, n := range nodes {
		s := fmt.Sprintf("%s@%d", n.EntityId, n.Depth)
		if n.Missing {
			s += "!"
			if n.Label != nil {
				s += " (has a label)"
			}
		} else if n.Label == nil {
			s += " (no label)"
		}
		out = append(out, s)
	}
	return out
}

// browseMembers summarizes effective members as "id required|optional source [inherited] [missing]".
func browseMembers(members []gen.GraphMember) []string {
	var out []string
	for _, m := range members {
		s := m.EntityId + " optional " + m.SourceCategory
		if m.Required {
			s = m.EntityId + " required " + m.SourceCategory
		}
		if m.Inherited {
			s += " inherited"
		}
		if m.Missing {
			s += " missing"
			if m.Label != nil {
				s += " (has a label)"
			}
		} else if m.Label == nil {
			s += " (no label)"
		}
		out = append(out, s)
	}
	return out
}

// browseUses summarizes used-by entries as "id direct|via:X required|optional".
func browseUses(entries []gen.UsedByEntry) []string {
	var out []string
	for _, e := range entries {
		s := e.EntityId
		if e.Direct {
			s += " direct"
			if e.Via != e.EntityId {
				s += " (via " + e.Via + ")"
			}
		} else {
			s += " via:" + e.Via
		}
		switch {
		case e.Required == nil:
			s += " (required absent)"
		case *e.Required:
			s += " required"
		default:
			s += " optional"
		}
		if e.Label == "" {
			s += " (no label)"
		}
		out = append(out, s)
	}
	return out
}

// browseRefs summarizes entity references as ids, "!" marking missing ones.
func browseRefs(refs []gen.EntityRef) []string {
	var out []string
	for _, r := range refs {
		out = append(out, refString(r.EntityId, r.Label, r.Missing))
	}
	return out
}

// browseModules summarizes module references as ids, "!" marking missing ones.
func browseModules(refs []gen.ModuleRef) []string {
	var out []string
	for _, r := range refs {
		out = append(out, refString(r.ModuleId, r.Label, r.Missing))
	}
	return out
}

func refString(id string, label *string, missing bool) string {
	switch {
	case missing && label != nil:
		return id + "! (has a label)"
	case missing:
		return id + "!"
	case label == nil:
		return id + " (no label)"
	}
	return id
}

// browseDiff reports a difference between want and got, treating nil and empty alike.
func browseDiff(t *testing.T, what string, want, got any) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

func TestBrowseProfilesLayout(t *testing.T) {
	t.Parallel()
	b := newBrowseEnv(t)
	b.ingest(browseSamples("profiles-layout"))

	counts := b.counts()
	browseDiff(t, "counts", [6]int{6, 12, 1, 3, 2, 24}, browseCountList(counts))

	person := b.graph("Person")
	browseDiff(t, "Person category", gen.EntityRef{EntityId: "Person", Label: strPointer("Person")}, person.Category)
	browseDiff(t, "Person parents", []string{"Agent"}, person.Parents)
	browseDiff(t, "Person ancestors", []string{"Agent@1"}, browseNodes(person.Ancestors))
	browseDiff(t, "Person descendants", []string{"Researcher@1", "Student@1"}, browseNodes(person.Descendants))
	// Person lists has_name itself, so its own (older-layout, optional) listing wins over Agent's.
	browseDiff(t, "Person properties", []string{
		"has_name optional Person", "has_email optional Person", "has_birthdate optional Person",
	}, browseMembers(person.Properties))
	browseDiff(t, "Person subobjects", []string{"Address optional Person"}, browseMembers(person.Subobjects))
	browseDiff(t, "Person cycles", [][]string{}, person.Cycles)
	if person.Ancestors[0].Label == nil || *person.Ancestors[0].Label != "Agent" || len(person.Ancestors[0].Parents) != 0 {
		t.Errorf("Agent node = %+v", person.Ancestors[0])
	}

	researcher := b.graph("Researcher")
	browseDiff(t, "Researcher ancestors", []string{"Person@1", "Agent@2"}, browseNodes(researcher.Ancestors))
	browseDiff(t, "Researcher properties", []string{
		"has_orcid optional Researcher", "has_affiliation optional Researcher",
		"has_name optional Person inherited", "has_email optional Person inherited", "has_birthdate optional Person inherited",
	}, browseMembers(researcher.Properties))
	browseDiff(t, "Researcher subobjects", []string{"Address optional Person inherited"}, browseMembers(researcher.Subobjects))

	hasName := b.usedBy(gen.UsableEntityTypeProperty, "has_name")
	browseDiff(t, "has_name entity", gen.EntityRef{EntityId: "has_name", Label: strPointer("Name")}, hasName.Entity)
	browseDiff(t, "has_name used by categories", []string{
		"Agent direct optional", "Organization direct optional", "Person direct optional", "Project direct optional",
		"Researcher via:Person optional", "Student via:Person optional",
	}, browseUses(hasName.Categories))
	browseDiff(t, "has_name used by subobjects", []string{}, browseUses(hasName.Subobjects))
	address := b.usedBy(gen.UsableEntityTypeSubobject, "Address")
	browseDiff(t, "Address used by", []string{
		"Organization direct optional", "Person direct optional", "Researcher via:Person optional", "Student via:Person optional",
	}, browseUses(address.Categories))
	if address.Subobjects == nil || len(address.Subobjects) != 0 {
		t.Errorf("a subobject's subobjects = %v, want []", address.Subobjects)
	}

	research := b.module("research")
	browseDiff(t, "research categories", []string{"Researcher", "Student"}, browseRefs(research.Categories))
	browseDiff(t, "research dependencies", []string{"core"}, browseModules(research.Dependencies))
	browseDiff(t, "research closure", []string{"core"}, browseModules(research.DependencyClosure))
	if research.Module.Label != "Research Module" || research.Dependencies[0].Label == nil || *research.Dependencies[0].Label != "Core Module" {
		t.Errorf("research labels: %q, %v", research.Module.Label, research.Dependencies[0].Label)
	}
	core := b.module("core")
	browseDiff(t, "core categories", []string{"Agent", "Person", "Organization"}, browseRefs(core.Categories))
	browseDiff(t, "core closure", []string{}, browseModules(core.DependencyClosure))

	full := b.profile("full")
	browseDiff(t, "full modules", []string{"core", "projects"}, browseModules(full.Modules))
	// projects depends on core, which the profile lists itself.
	browseDiff(t, "full closure", []string{}, browseModules(full.DependencyClosure))
	browseDiff(t, "default modules", []string{"core"}, browseModules(b.profile("default").Modules))

	browseDiff(t, "research properties", []string{
		"has_affiliation", "has_birthdate", "has_email", "has_enrollment_date", "has_major", "has_name", "has_orcid",
	}, b.walk(gen.EntityTypeProperty, 0, "", "research"))
	browseDiff(t, "research subobjects", []string{"Address"}, b.walk(gen.EntityTypeSubobject, 0, "", "research"))
	browseDiff(t, "core categories listed", []string{"Agent", "Organization", "Person"}, b.walk(gen.EntityTypeCategory, 0, "", "core"))
	browseDiff(t, "projects properties", []string{"has_end_date", "has_name", "has_start_date", "has_status"},
		b.walk(gen.EntityTypeProperty, 0, "", "projects"))
}

func TestBrowseBundlesLayout(t *testing.T) {
	t.Parallel()
	b := newBrowseEnv(t)
	b.ingest(browseSamples("bundles-layout"))

	counts := b.counts()
	browseDiff(t, "counts", [6]int{3, 8, 1, 1, 1, 15}, browseCountList(counts))

	person := b.graph("Person")
	browseDiff(t, "Person parents", []string{"Agent"}, person.Parents)
	browseDiff(t, "Person ancestors", []string{"Agent@1"}, browseNodes(person.Ancestors))
	browseDiff(t, "Person descendants", []string{}, browseNodes(person.Descendants))
	browseDiff(t, "Person properties", []string{
		"Has_email optional Person", "Has_name required Agent inherited", "Has_description optional Agent inherited",
	}, browseMembers(person.Properties))
	browseDiff(t, "Person subobjects", []string{"Address optional Person"}, browseMembers(person.Subobjects))
	browseDiff(t, "Agent descendants", []string{"Organization@1", "Person@1"}, browseNodes(b.graph("Agent").Descendants))

	browseDiff(t, "Has_name used by", []string{
		"Agent direct required", "Organization via:Agent required", "Person via:Agent required",
	}, browseUses(b.usedBy(gen.UsableEntityTypeProperty, "Has_name").Categories))
	street := b.usedBy(gen.UsableEntityTypeProperty, "Has_street")
	browseDiff(t, "Has_street used by categories", []string{}, browseUses(street.Categories))
	browseDiff(t, "Has_street used by subobjects", []string{"Address direct required"}, browseUses(street.Subobjects))
	browseDiff(t, "Has_postal_code used by subobjects", []string{"Address direct optional"},
		browseUses(b.usedBy(gen.UsableEntityTypeProperty, "Has_postal_code").Subobjects))

	core := b.module("Core")
	browseDiff(t, "Core categories", []string{"Agent", "Person", "Organization"}, browseRefs(core.Categories))
	browseDiff(t, "Core dependencies", []string{}, browseModules(core.Dependencies))
	browseDiff(t, "Core closure", []string{}, browseModules(core.DependencyClosure))
	if !strings.Contains(string(core.SchemaDefinition), `"version"`) {
		t.Errorf("Core schema_definition lacks the version: %s", core.SchemaDefinition)
	}
	// Core lists every property itself (the address ones only through it).
	browseDiff(t, "Core properties", []string{
		"Has_city", "Has_country", "Has_description", "Has_email", "Has_name", "Has_postal_code", "Has_street", "Has_website",
	}, b.walk(gen.EntityTypeProperty, 0, "", "Core"))

	defaultBundle := b.profile("Default")
	browseDiff(t, "Default modules", []string{"Core"}, browseModules(defaultBundle.Modules))
	browseDiff(t, "Default closure", []string{}, browseModules(defaultBundle.DependencyClosure))
}

func TestBrowseExample(t *testing.T) {
	t.Parallel()
	b := newBrowseEnv(t)
	b.ingest(browseExample)

	ta := b.graph("Teaching_assistant")
	browseDiff(t, "parents", []string{"Employee", "Student"}, ta.Parents)
	// The diamond: Person and Agent are reached through both parents and listed once.
	browseDiff(t, "ancestors", []string{"Employee@1", "Student@1", "Person@2", "Agent@3"}, browseNodes(ta.Ancestors))
	browseDiff(t, "descendants", []string{}, browseNodes(ta.Descendants))
	browseDiff(t, "properties", []string{
		"Has_teaching_hours required Teaching_assistant",
		"Has_job_title required Employee inherited",
		// Employee requires it, Student makes it optional, both one step away: required wins.
		"Has_start_date required Employee inherited",
		"Has_supervisor optional Employee inherited",
		"Has_study_program required Student inherited",
		"Has_orcid optional Person inherited",
		"Has_name required Agent inherited",
		"Has_email optional Agent inherited",
		"Has_website optional Agent inherited",
	}, browseMembers(ta.Properties))
	browseDiff(t, "subobjects", []string{"Address optional Person inherited"}, browseMembers(ta.Subobjects))
	browseDiff(t, "ancestor parents", [][]string{{"Person"}, {"Person"}, {"Agent"}, {}},
		[][]string{ta.Ancestors[0].Parents, ta.Ancestors[1].Parents, ta.Ancestors[2].Parents, ta.Ancestors[3].Parents})

	browseDiff(t, "Agent descendants", []string{
		"Organization@1", "Person@1", "Research_group@2", "Employee@2", "Student@2", "Teaching_assistant@3",
	}, browseNodes(b.graph("Agent").Descendants))

	browseDiff(t, "Has_supervisor used by", []string{
		"Employee direct optional", "Student direct optional", "Teaching_assistant via:Employee optional",
	}, browseUses(b.usedBy(gen.UsableEntityTypeProperty, "Has_supervisor").Categories))
	browseDiff(t, "Address used by", []string{
		"Employee via:Person optional", "Organization direct required", "Person direct optional",
		"Research_group via:Organization required", "Student via:Person optional", "Teaching_assistant via:Person optional",
	}, browseUses(b.usedBy(gen.UsableEntityTypeSubobject, "Address").Categories))
	browseDiff(t, "Has_city used by subobjects", []string{"Address direct required"},
		browseUses(b.usedBy(gen.UsableEntityTypeProperty, "Has_city").Subobjects))

	lab := b.module("Lab")
	browseDiff(t, "Lab categories", []string{"Research_group", "Employee", "Student", "Teaching_assistant"}, browseRefs(lab.Categories))
	browseDiff(t, "Lab dependencies", []string{"Core"}, browseModules(lab.Dependencies))
	browseDiff(t, "Lab closure", []string{"Core"}, browseModules(lab.DependencyClosure))
	lab2 := b.profile("Research_lab")
	browseDiff(t, "Research_lab modules", []string{"Core", "Lab"}, browseModules(lab2.Modules))
	browseDiff(t, "Research_lab closure", []string{}, browseModules(lab2.DependencyClosure))

	// Lab's categories inherit the Agent and Person properties and, through Person, Address —
	// which brings its own properties (street, city, postal code, country) with it.
	browseDiff(t, "Lab properties", []string{
		"Has_city", "Has_country", "Has_email", "Has_job_title", "Has_member", "Has_name", "Has_orcid",
		"Has_postal_code", "Has_principal_investigator", "Has_start_date", "Has_street",
		"Has_study_program", "Has_supervisor", "Has_teaching_hours", "Has_website", "Is_active",
	}, b.walk(gen.EntityTypeProperty, 0, "", "Lab"))
	browseDiff(t, "Lab subobjects", []string{"Address"}, b.walk(gen.EntityTypeSubobject, 0, "", "Lab"))
	browseDiff(t, "Lab categories listed", []string{"Employee", "Research_group", "Student", "Teaching_assistant"},
		b.walk(gen.EntityTypeCategory, 0, "", "Lab"))

	r, err := b.Client.ListEntitiesWithResponse(b.ctx, gen.EntityTypeProperty, &gen.ListEntitiesParams{Module: strPointer("Nope")})
	if err != nil {
		t.Fatal(err)
	}
	b.problem(r.HTTPResponse, r.Body, http.StatusNotFound, "Module not found")
}

// browseFiles writes files (path → content) under a new temporary directory and returns it.
func browseFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBrowseCyclesAndMissingReferences(t *testing.T) {
	t.Parallel()
	b := newBrowseEnv(t)
	b.ingest(browseFiles(t, map[string]string{
		"categories/A.json":     `{"id":"A","parents":["B"],"required_properties":["Has_x"]}`,
		"categories/B.json":     `{"id":"B","parents":["A"]}`,
		"categories/C.json":     `{"id":"C","parents":["A","Ghost"],"optional_properties":["Has_ghost"],"optional_subobjects":["Nosub"]}`,
		"categories/D.json":     `{"id":"D","parents":["D"]}`,
		"properties/Has_x.json": `{"id":"Has_x","label":"X","datatype":"Text","cardinality":"single"}`,
		"modules/M1.json":       `{"id":"M1","categories":["A","Nocat"],"dependencies":["M2","Nomod"]}`,
		"modules/M2.json":       `{"id":"M2","categories":["C"],"dependencies":["M1","M3"]}`,
		"modules/M3.json":       `{"id":"M3","categories":[]}`,
		"bundles/P.json":        `{"id":"P","modules":["M1","Gone"]}`,
	}))

	a := b.graph("A")
	browseDiff(t, "A ancestors", []string{"B@1"}, browseNodes(a.Ancestors))
	browseDiff(t, "A descendants", []string{"B@1", "C@1"}, browseNodes(a.Descendants))
	browseDiff(t, "A cycles", [][]string{{"A", "B", "A"}}, a.Cycles)
	browseDiff(t, "A properties", []string{"Has_x required A"}, browseMembers(a.Properties))

	c := b.graph("C")
	browseDiff(t, "C parents", []string{"A", "Ghost"}, c.Parents)
	browseDiff(t, "C ancestors", []string{"A@1", "Ghost@1!", "B@2"}, browseNodes(c.Ancestors))
	browseDiff(t, "C cycles", [][]string{{"A", "B", "A"}}, c.Cycles)
	browseDiff(t, "C properties", []string{"Has_ghost optional C missing", "Has_x required A inherited"}, browseMembers(c.Properties))
	browseDiff(t, "C subobjects", []string{"Nosub optional C missing"}, browseMembers(c.Subobjects))

	d := b.graph("D")
	browseDiff(t, "D cycles", [][]string{{"D", "D"}}, d.Cycles)
	browseDiff(t, "D ancestors", []string{}, browseNodes(d.Ancestors))

	r, err := b.Client.GetCategoryGraphWithResponse(b.ctx, "Ghost", nil)
	if err != nil {
		t.Fatal(err)
	}
	b.problem(r.HTTPResponse, r.Body, http.StatusNotFound, detailEntityNotFound)

	browseDiff(t, "Has_x used by", []string{"A direct required", "B via:A required", "C via:A required"},
		browseUses(b.usedBy(gen.UsableEntityTypeProperty, "Has_x").Categories))

	m1 := b.module("M1")
	browseDiff(t, "M1 categories", []string{"A", "Nocat!"}, browseRefs(m1.Categories))
	browseDiff(t, "M1 dependencies", []string{"M2", "Nomod!"}, browseModules(m1.Dependencies))
	browseDiff(t, "M1 closure", []string{"M2", "Nomod!", "M3"}, browseModules(m1.DependencyClosure))
	browseDiff(t, "M2 closure", []string{"M1", "M3", "Nomod!"}, browseModules(b.module("M2").DependencyClosure))
	p := b.profile("P")
	browseDiff(t, "P modules", []string{"M1", "Gone!"}, browseModules(p.Modules))
	browseDiff(t, "P closure", []string{"M2", "Nomod!", "M3"}, browseModules(p.DependencyClosure))

	browseDiff(t, "M1 categories listed", []string{"A"}, b.walk(gen.EntityTypeCategory, 0, "", "M1"))
	browseDiff(t, "M2 properties listed", []string{"Has_x"}, b.walk(gen.EntityTypeProperty, 0, "", "M2"))
	browseDiff(t, "M3 categories listed", []string{}, b.walk(gen.EntityTypeCategory, 0, "", "M3"))
}

// browseCopyTree copies the directory src into a new temporary directory.
func browseCopyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	return dst
}

func TestBrowseSoftDeletedHiddenAndBack(t *testing.T) {
	t.Parallel()
	b := newBrowseEnv(t)
	dir := browseCopyTree(t, browseExample)
	b.ingest(dir)

	removed := []string{"categories/Student.json", "properties/Has_orcid.json", "modules/Lab.json"}
	saved := map[string][]byte{}
	for _, name := range removed {
		path := filepath.Join(dir, filepath.FromSlash(name))
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		saved[name] = data
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}
	b.ingest(dir)

	counts := b.counts()
	browseDiff(t, "counts", [6]int{6, 15, 1, 1, 1, 24}, browseCountList(counts))
	for _, gone := range []struct {
		entityType gen.EntityType
		id         string
	}{{gen.EntityTypeCategory, "Student"}, {gen.EntityTypeProperty, "Has_orcid"}} {
		r, err := b.Client.GetEntityWithResponse(b.ctx, gone.entityType, gone.id, nil)
		if err != nil {
			t.Fatal(err)
		}
		b.problem(r.HTTPResponse, r.Body, http.StatusNotFound, detailEntityNotFound)
		for _, id := range b.walk(gone.entityType, 100, "", "") {
			if id == gone.id {
				t.Errorf("deleted %s %s is listed", gone.entityType, id)
			}
		}
	}
	browseDiff(t, "search student", []string{"Teaching_assistant"}, b.walk(gen.EntityTypeCategory, 0, "student", ""))

	graph, err := b.Client.GetCategoryGraphWithResponse(b.ctx, "Student", nil)
	if err != nil {
		t.Fatal(err)
	}
	b.problem(graph.HTTPResponse, graph.Body, http.StatusNotFound, detailEntityNotFound)
	ta := b.graph("Teaching_assistant")
	browseDiff(t, "parents still named", []string{"Employee", "Student"}, ta.Parents)
	browseDiff(t, "ancestors", []string{"Employee@1", "Student@1!", "Person@2", "Agent@3"}, browseNodes(ta.Ancestors))
	for _, m := range ta.Properties {
		if m.EntityId == "Has_study_program" {
			t.Errorf("Has_study_program still comes from the deleted Student: %+v", m)
		}
	}
	browseDiff(t, "Person properties", []string{
		"Has_orcid optional Person missing", "Has_name required Agent inherited",
		"Has_email optional Agent inherited", "Has_website optional Agent inherited",
	}, browseMembers(b.graph("Person").Properties))
	browseDiff(t, "Person descendants", []string{"Employee@1", "Teaching_assistant@2"}, browseNodes(b.graph("Person").Descendants))

	usedBy, err := b.Client.GetUsedByWithResponse(b.ctx, gen.UsableEntityTypeProperty, "Has_orcid", nil)
	if err != nil {
		t.Fatal(err)
	}
	b.problem(usedBy.HTTPResponse, usedBy.Body, http.StatusNotFound, detailEntityNotFound)
	browseDiff(t, "Has_study_program used by", []string{},
		browseUses(b.usedBy(gen.UsableEntityTypeProperty, "Has_study_program").Categories))

	module, err := b.Client.GetModuleWithResponse(b.ctx, "Lab", nil)
	if err != nil {
		t.Fatal(err)
	}
	b.problem(module.HTTPResponse, module.Body, http.StatusNotFound, "Module not found")
	filtered, err := b.Client.ListEntitiesWithResponse(b.ctx, gen.EntityTypeCategory, &gen.ListEntitiesParams{Module: strPointer("Lab")})
	if err != nil {
		t.Fatal(err)
	}
	b.problem(filtered.HTTPResponse, filtered.Body, http.StatusNotFound, "Module not found")
	modules, err := b.Client.ListModulesWithResponse(b.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	browseStatus(t, "modules", modules.HTTPResponse, modules.Body, http.StatusOK)
	if len(modules.JSON200.Items) != 1 || modules.JSON200.Items[0].ModuleId != "Core" {
		t.Errorf("modules = %+v, want only Core", modules.JSON200.Items)
	}
	browseDiff(t, "Research_lab modules", []string{"Core", "Lab!"}, browseModules(b.profile("Research_lab").Modules))

	// Put the files back: everything returns.
	for name, data := range saved {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.ingest(dir)
	counts = b.counts()
	browseDiff(t, "counts restored", [6]int{7, 16, 1, 2, 1, 27}, browseCountList(counts))
	if got := b.entity(gen.EntityTypeCategory, "Student"); got.Label != "Student" {
		t.Errorf("restored Student = %+v", got)
	}
	browseDiff(t, "ancestors restored", []string{"Employee@1", "Student@1", "Person@2", "Agent@3"}, browseNodes(b.graph("Teaching_assistant").Ancestors))
	browseDiff(t, "Lab closure restored", []string{"Core"}, browseModules(b.module("Lab").DependencyClosure))
	browseDiff(t, "Research_lab modules restored", []string{"Core", "Lab"}, browseModules(b.profile("Research_lab").Modules))
	browseDiff(t, "search student restored", []string{"Student", "Teaching_assistant"}, b.walk(gen.EntityTypeCategory, 0, "student", ""))
}

func strPointer(s string) *string { return &s }
