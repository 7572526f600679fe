package changeset

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ontohub/ontohub/store"
)

// canon is a canonical ontology of a few categories.
type canon map[string]string

func (c canon) Canonical(kind, id string) ([]byte, int64, bool) {
	def, ok := c[kind+"/"+id]
	return []byte(def), 7, ok
}

var ontology = canon{
	"category/Person": `{"id":"Person","label":"Person","parents":["Agent"],"description":"A human"}`,
	"category/Agent":  `{"id":"Agent","label":"Agent"}`,
}

func apply(t *testing.T, existing []store.Change, req Request) (store.ChangeSetEdit, error) {
	t.Helper()
	return Apply(existing, ontology, req, Limits{})
}

func mustPut(t *testing.T, existing []store.Change, req Request) store.Change {
	t.Helper()
	e, err := apply(t, existing, req)
	if err != nil {
		t.Fatalf("apply %+v: %v", req, err)
	}
	if e.Put == nil {
		t.Fatalf("apply %+v: no change stored (%+v)", req, e)
	}
	return *e.Put
}

func wantError(t *testing.T, err error, status int, field string) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v, want a *changeset.Error", err)
	}
	if ce.Status != status || ce.Field != field {
		t.Fatalf("error = %d %q (%s), want %d %q", ce.Status, ce.Field, ce.Message, status, field)
	}
}

func TestUpdateKeepsKeyOrderAndRecordsBase(t *testing.T) {
	c := mustPut(t, nil, Request{ChangeType: "update", EntityType: "category", EntityID: "Person",
		Patch: json.RawMessage(`[{"op":"replace","path":"/label","value":"Human <being>"},{"op":"add","path":"/optional_properties","value":["Has_name"]}]`)})
	want := `{"id":"Person","label":"Human <being>","parents":["Agent"],"description":"A human","optional_properties":["Has_name"]}`
	if string(c.Entity) != want {
		t.Errorf("entity = %s\nwant     %s", c.Entity, want)
	}
	if c.ChangeType != store.ChangeUpdate || c.BaseGeneration == nil || *c.BaseGeneration != 7 {
		t.Errorf("change = %s base %v, want update based on generation 7", c.ChangeType, c.BaseGeneration)
	}
	// A second update merges: it applies to the updated entity and the patches are joined.
	c.ID = uuid.New()
	merged := mustPut(t, []store.Change{c}, Request{ChangeType: "update", EntityType: "category", EntityID: "Person",
		Patch: json.RawMessage(`[{"op":"remove","path":"/description"}]`)})
	if merged.ID != c.ID || string(merged.Entity) != `{"id":"Person","label":"Human <being>","parents":["Agent"],"optional_properties":["Has_name"]}` {
		t.Errorf("merged = %s %s", merged.ID, merged.Entity)
	}
	var ops []json.RawMessage
	if err := json.Unmarshal(merged.Patch, &ops); err != nil || len(ops) != 3 {
		t.Errorf("merged patch = %s, want 3 operations", merged.Patch)
	}
}

func TestMergeRules(t *testing.T) {
	created := mustPut(t, nil, Request{ChangeType: "create", EntityType: "category", EntityID: "Robot",
		Entity: json.RawMessage(`{"id": "Robot", "label": "Robot"}`)})
	created.ID = uuid.New()
	if created.BaseGeneration != nil || string(created.Entity) != `{"id":"Robot","label":"Robot"}` {
		t.Fatalf("created = %s base %v", created.Entity, created.BaseGeneration)
	}
	// An update of a created entity edits the creation.
	edited := mustPut(t, []store.Change{created}, Request{ChangeType: "update", EntityType: "category", EntityID: "Robot",
		Patch: json.RawMessage(`[{"op":"add","path":"/parents","value":["Agent"]}]`)})
	if edited.ChangeType != store.ChangeCreate || edited.Patch != nil {
		t.Errorf("edited creation = %s patch %s", edited.ChangeType, edited.Patch)
	}
	// Deleting it drops the creation.
	e, err := apply(t, []store.Change{created}, Request{ChangeType: "delete", EntityType: "category", EntityID: "Robot"})
	if err != nil || e.Put != nil || e.Remove != created.ID {
		t.Errorf("delete of created = %+v, %v; want removal of %s", e, err, created.ID)
	}
	// Delete of an update is a delete that keeps the base.
	updated := mustPut(t, nil, Request{ChangeType: "update", EntityType: "category", EntityID: "Agent",
		Patch: json.RawMessage(`[{"op":"replace","path":"/label","value":"Actor"}]`)})
	deleted := mustPut(t, []store.Change{updated}, Request{ChangeType: "delete", EntityType: "category", EntityID: "Agent"})
	if deleted.ChangeType != store.ChangeDelete || deleted.Entity != nil || *deleted.BaseGeneration != 7 {
		t.Errorf("delete after update = %+v", deleted)
	}
	// Create after delete is an update to the new content.
	recreated := mustPut(t, []store.Change{deleted}, Request{ChangeType: "create", EntityType: "category", EntityID: "Agent",
		Entity: json.RawMessage(`{"id":"Agent","label":"Agent again"}`)})
	if recreated.ChangeType != store.ChangeUpdate || string(recreated.Entity) != `{"id":"Agent","label":"Agent again"}` {
		t.Errorf("create after delete = %+v", recreated)
	}
}

func TestConflictsAndUnprocessable(t *testing.T) {
	_, err := apply(t, nil, Request{ChangeType: "create", EntityType: "category", EntityID: "Person", Entity: json.RawMessage(`{}`)})
	wantError(t, err, 409, "")
	_, err = apply(t, nil, Request{ChangeType: "update", EntityType: "category", EntityID: "Nobody", Patch: json.RawMessage(`[]`)})
	wantError(t, err, 409, "")
	_, err = apply(t, nil, Request{ChangeType: "delete", EntityType: "category", EntityID: "Nobody"})
	wantError(t, err, 409, "")
	// The second operation's test fails: it is named.
	_, err = apply(t, nil, Request{ChangeType: "update", EntityType: "category", EntityID: "Person",
		Patch: json.RawMessage(`[{"op":"replace","path":"/label","value":"X"},{"op":"test","path":"/label","value":"Person"}]`)})
	wantError(t, err, 422, "patch/1")
	_, err = apply(t, nil, Request{ChangeType: "update", EntityType: "category", EntityID: "Person",
		Patch: json.RawMessage(`[{"op":"remove","path":"/nothing"}]`)})
	wantError(t, err, 422, "patch/0")
	// Negative indices are not RFC 6902.
	_, err = apply(t, nil, Request{ChangeType: "update", EntityType: "category", EntityID: "Person",
		Patch: json.RawMessage(`[{"op":"remove","path":"/parents/-1"}]`)})
	wantError(t, err, 422, "patch/0")
	// The entity must stay an object.
	_, err = apply(t, nil, Request{ChangeType: "update", EntityType: "category", EntityID: "Person",
		Patch: json.RawMessage(`[{"op":"replace","path":"","value":[1]}]`)})
	wantError(t, err, 422, "patch")
	_, err = apply(t, nil, Request{ChangeType: "update", EntityType: "category", EntityID: "Person"})
	wantError(t, err, 422, "patch")
	_, err = apply(t, nil, Request{ChangeType: "create", EntityType: "category", EntityID: "New"})
	wantError(t, err, 422, "entity")
}

func TestLimits(t *testing.T) {
	existing := []store.Change{{ID: uuid.New(), EntityType: "category", EntityID: "A", ChangeType: "delete"}}
	_, err := Apply(existing, ontology, Request{ChangeType: "delete", EntityType: "category", EntityID: "Agent"}, Limits{MaxChanges: 1})
	wantError(t, err, 422, "")
	// A change to an entity already in the set does not count against the limit.
	existing[0].EntityID = "Agent"
	existing[0].ChangeType = "update"
	existing[0].Entity = json.RawMessage(`{"id":"Agent"}`)
	if _, err := Apply(existing, ontology, Request{ChangeType: "delete", EntityType: "category", EntityID: "Agent"}, Limits{MaxChanges: 1}); err != nil {
		t.Errorf("change within the set: %v", err)
	}
	_, err = Apply(nil, ontology, Request{ChangeType: "create", EntityType: "category", EntityID: "Big",
		Entity: json.RawMessage(`{"id":"Big","label":"` + string(make([]byte, 0)) + `0123456789"}`)}, Limits{MaxEntityBytes: 20})
	wantError(t, err, 422, "entity")
	// copy cannot grow an entity past the limit either.
	_, err = Apply(nil, ontology, Request{ChangeType: "update", EntityType: "category", EntityID: "Person",
		Patch: json.RawMessage(`[{"op":"copy","from":"/description","path":"/a"},{"op":"copy","from":"/description","path":"/b"}]`)}, Limits{MaxEntityBytes: 100})
	wantError(t, err, 422, "entity")
}

func TestRepeatedUpdatesKeepABoundedPatch(t *testing.T) {
	var set []store.Change
	long := strings.Repeat("B", 900)
	for i := range 50 {
		ops := `[` + strings.Repeat(`{"op":"replace","path":"/label","value":"`+long+`"},`, 99) + `{"op":"replace","path":"/label","value":"L` + fmt.Sprint(i) + `"}]`
		c := mustPut(t, set, Request{ChangeType: "update", EntityType: "category", EntityID: "Person", Patch: json.RawMessage(ops)})
		c.ID = uuid.New()
		set = []store.Change{c}
	}
	got := set[0]
	if len(got.Patch) > 2*len(got.Entity) {
		t.Errorf("patch kept is %d bytes for an entity of %d", len(got.Patch), len(got.Entity))
	}
	if string(got.Patch) != `[{"op":"replace","path":"/label","value":"L49"}]` {
		t.Errorf("patch kept = %s, want the diff from the canonical entity", got.Patch)
	}
}

func TestUnusableIDsAreRefused(t *testing.T) {
	for _, id := range []string{"x/.git/config", ".GIT/hooks", "a/../b", "Page\u200b", "/lead", "trail/"} {
		_, err := apply(t, nil, Request{ChangeType: "create", EntityType: "template", EntityID: id, Entity: json.RawMessage(`{"id":"x"}`)})
		wantError(t, err, 422, "entity_id")
	}
}

func TestAnUpdateThatChangesNothing(t *testing.T) {
	_, err := apply(t, nil, Request{ChangeType: "update", EntityType: "category", EntityID: "Person",
		Patch: json.RawMessage(`[{"op":"replace","path":"/label","value":"Person"}]`)})
	wantError(t, err, 422, "patch")
	// Changing it back drops the change.
	c := mustPut(t, nil, Request{ChangeType: "update", EntityType: "category", EntityID: "Person",
		Patch: json.RawMessage(`[{"op":"replace","path":"/label","value":"Human"}]`)})
	c.ID = uuid.New()
	e, err := apply(t, []store.Change{c}, Request{ChangeType: "update", EntityType: "category", EntityID: "Person",
		Patch: json.RawMessage(`[{"op":"replace","path":"/label","value":"Person"}]`)})
	if err != nil || e.Put != nil || e.Remove != c.ID {
		t.Errorf("reverting update = %+v, %v; want the change removed", e, err)
	}
}
