package validate

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/ontohub/ontohub/ontology"
)

// Change types of EntityChange.
const (
	// ChangeCreate: the entity is new.
	ChangeCreate = "create"
	// ChangeUpdate: the entity's content changed.
	ChangeUpdate = "update"
	// ChangeDelete: the entity is gone.
	ChangeDelete = "delete"
)

// EntityChange is one entity that differs between two ontologies, classified for version
// advice.
type EntityChange struct {
	// EntityType is the entity's kind.
	EntityType string `json:"entity_type"`
	// EntityID is the entity's id.
	EntityID string `json:"entity_id"`
	// ChangeType is ChangeCreate, ChangeUpdate or ChangeDelete.
	ChangeType string `json:"change_type"`
	// Bump is the version bump the change needs: BumpMajor, BumpMinor or BumpPatch.
	Bump string `json:"bump"`
	// Reasons say what changed, one short sentence each, the ones that decide Bump first.
	Reasons []string `json:"reasons"`
}

// reason is one difference with the bump it needs.
type reason struct {
	bump string
	text string
}

// classify compares an entity's old and new content (nil: absent) and says how it changed.
// It returns false when nothing changed (formatting aside) or when either side cannot be read
// (such a file already has a finding that makes the report invalid).
func classify(k int, id string, before, after []byte) (EntityChange, bool) {
	kind := ontology.Kinds[k]
	out := EntityChange{EntityType: string(kind), EntityID: id}
	switch {
	case before == nil && after == nil:
		return out, false
	case before == nil:
		out.ChangeType, out.Bump, out.Reasons = ChangeCreate, BumpMinor, []string{fmt.Sprintf("new %s", kind)}
		return out, true
	case after == nil:
		out.ChangeType, out.Bump, out.Reasons = ChangeDelete, BumpMajor, []string{fmt.Sprintf("%s deleted", kind)}
		return out, true
	}
	old, err := decode(before)
	if err != nil {
		return out, false
	}
	cur, err := decode(after)
	if err != nil {
		return out, false
	}
	reasons := diffEntity(k, old, cur)
	if len(reasons) == 0 {
		return out, false
	}
	// The reasons that decide the bump come first; otherwise field order.
	slices.SortStableFunc(reasons, func(a, b reason) int { return bumpRank(b.bump) - bumpRank(a.bump) })
	out.ChangeType = ChangeUpdate
	for _, r := range reasons {
		out.Bump = maxBump(out.Bump, r.bump)
		out.Reasons = append(out.Reasons, r.text)
	}
	return out, true
}

// structuralFields of a module or bundle: removing one is a major change.
var structuralFields = []string{"categories", "properties", "id", "label", "description"}

// diffEntity lists the differences between two versions of an entity, per the rules of the
// schema repository: the specific rules for ids, properties, categories, modules and bundles,
// and for every other field: added → minor, removed or changed → patch (lists of ids: items
// added → minor, items removed → patch).
func diffEntity(k int, old, cur map[string]any) []reason {
	var out []reason
	handled := map[string]bool{}
	add := func(bump, format string, args ...any) { out = append(out, reason{bump, fmt.Sprintf(format, args...)}) }

	if !reflect.DeepEqual(old["id"], cur["id"]) {
		handled["id"] = true
		add(BumpMajor, "id changed from %s to %s", valueText(old["id"]), valueText(cur["id"]))
	}
	switch k {
	case kProperty:
		if !reflect.DeepEqual(old["datatype"], cur["datatype"]) {
			handled["datatype"] = true
			add(BumpMajor, "datatype changed from %s to %s", valueText(old["datatype"]), valueText(cur["datatype"]))
		}
		if before, after := old["cardinality"], cur["cardinality"]; !reflect.DeepEqual(before, after) && before == "multiple" && after == "single" {
			handled["cardinality"] = true
			add(BumpMajor, "cardinality changed from multiple to single")
		}
		oldValues, ok1 := stringItems(old["allowed_values"])
		newValues, ok2 := stringItems(cur["allowed_values"])
		if ok1 && ok2 {
			// An absent list counts as empty: adding a list adds values, dropping it removes them.
			handled["allowed_values"] = true
			removed, added := missingFrom(oldValues, newValues), missingFrom(newValues, oldValues)
			for _, v := range removed {
				add(BumpMajor, "allowed value %q removed", v)
			}
			for _, v := range added {
				add(BumpMinor, "allowed value %q added", v)
			}
			if len(removed)+len(added) == 0 && !slices.Equal(oldValues, newValues) {
				add(BumpPatch, "order of allowed_values changed")
			}
		}
	case kCategory:
		handled["required_properties"] = true
		before, _ := stringItems(old["required_properties"])
		after, _ := stringItems(cur["required_properties"])
		for _, p := range missingFrom(after, before) {
			add(BumpMajor, "required property %s added", p)
		}
		for _, p := range missingFrom(before, after) {
			add(BumpPatch, "required property %s removed", p)
		}
		// The older layout's unqualified list holds optional properties.
		for _, field := range []string{"optional_properties", "properties"} {
			handled[field] = true
			before, _ := stringItems(old[field])
			after, _ := stringItems(cur[field])
			for _, p := range missingFrom(before, after) {
				add(BumpMajor, "optional property %s removed", p)
			}
			for _, p := range missingFrom(after, before) {
				add(BumpMinor, "optional property %s added", p)
			}
		}
	case kModule, kBundle:
		for _, field := range structuralFields {
			if _, had := old[field]; had {
				if _, has := cur[field]; !has {
					handled[field] = true
					add(BumpMajor, "field %s removed", field)
				}
			}
		}
	}
	for _, field := range unionKeys(old, cur) {
		if handled[field] {
			continue
		}
		out = append(out, diffField(field, old, cur)...)
	}
	return out
}

// diffField classifies a change of a field no specific rule covers.
func diffField(field string, old, cur map[string]any) []reason {
	before, had := old[field]
	after, has := cur[field]
	switch {
	case !had && has:
		return []reason{{BumpMinor, fmt.Sprintf("field %s added", field)}}
	case had && !has:
		return []reason{{BumpPatch, fmt.Sprintf("field %s removed", field)}}
	case reflect.DeepEqual(before, after):
		return nil
	}
	oldItems, ok1 := stringItems(before)
	newItems, ok2 := stringItems(after)
	if !ok1 || !ok2 {
		return []reason{{BumpPatch, fmt.Sprintf("%s changed", field)}}
	}
	var out []reason
	for _, v := range missingFrom(newItems, oldItems) {
		out = append(out, reason{BumpMinor, fmt.Sprintf("%s added to %s", v, field)})
	}
	for _, v := range missingFrom(oldItems, newItems) {
		out = append(out, reason{BumpPatch, fmt.Sprintf("%s removed from %s", v, field)})
	}
	if len(out) == 0 {
		out = append(out, reason{BumpPatch, fmt.Sprintf("order of %s changed", field)})
	}
	return out
}

// stringItems returns the strings of a JSON array (ok false when v is not an array of
// strings; an absent field is an empty list).
func stringItems(v any) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		s, ok := item.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// missingFrom returns the items of a that b lacks, in a's order, each once.
func missingFrom(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func unionKeys(a, b map[string]any) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// valueText renders a field's value in a reason; an absent field is "(none)".
func valueText(v any) string {
	switch v := v.(type) {
	case nil:
		return "(none)"
	case string:
		return v
	}
	return jsonText(v)
}
