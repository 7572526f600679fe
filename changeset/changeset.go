// Package changeset applies a typed change to a draft's change set: it decides, from the change
// set so far and the canonical ontology, what the set holds afterwards. A draft holds at most
// one change per entity, kept as the whole entity the draft makes, so every later question
// (validate, preview, diff, patch) reads the result without replaying anything. The package is
// pure: the store locks and writes, this package only decides.
package changeset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/wI2L/jsondiff"

	"github.com/ontohub/ontohub/checkout"

	"github.com/ontohub/ontohub/store"
)

// Request is one change as a client sends it.
type Request struct {
	// ChangeType is store.ChangeCreate, ChangeUpdate or ChangeDelete.
	ChangeType string
	EntityType string
	EntityID   string
	// Entity is the whole new entity of a create.
	Entity json.RawMessage
	// Patch is the RFC 6902 operations (a JSON array) of an update.
	Patch json.RawMessage
}

// Canonical is the ontology a draft is laid over.
type Canonical interface {
	// Canonical returns an entity's file (compact JSON, keys in file order) and the generation
	// that last changed it; ok is false when there is no such entity.
	Canonical(kind, id string) (def []byte, changed int64, ok bool)
}

// Limits bound a change set.
type Limits struct {
	// MaxChanges is the most changes one draft holds (DRAFT_MAX_CHANGES).
	MaxChanges int
	// MaxEntityBytes is the largest entity, as compact JSON, a change may make
	// (DRAFT_MAX_ENTITY_BYTES).
	MaxEntityBytes int
}

// Default limits.
const (
	DefaultMaxChanges     = 100
	DefaultMaxEntityBytes = 32 << 10
)

// Error is a change that cannot be applied. Status is 409 (the change does not fit the state of
// the ontology or the draft) or 422 (it cannot be applied as sent: a failing patch operation, a
// limit); Field names the part of the request (patch/N, entity) and Message says why, for people.
type Error struct {
	Status  int
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

func conflict(format string, args ...any) *Error {
	return &Error{Status: 409, Message: fmt.Sprintf(format, args...)}
}

func unprocessable(field, format string, args ...any) *Error {
	return &Error{Status: 422, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Apply decides what req does to a change set (existing, the draft's current changes) laid over
// canon. The rules, for one entity:
//
//	in the draft  request  result
//	—             create   create (the entity must not exist)
//	—             update   update (the entity must exist; the patch applies to it)
//	—             delete   delete (the entity must exist)
//	create        update   the creation with the patch applied
//	create        delete   nothing: the creation is removed
//	update        update   one update, the patch applied to the updated entity
//	update        delete   delete
//	delete        create   update to the new content
//
// Everything else is a conflict. A change keeps the canonical entity's generation from when it
// was first made, which is how a later upstream change is recognized as a rebase conflict.
func Apply(existing []store.Change, canon Canonical, req Request, lim Limits) (store.ChangeSetEdit, error) {
	lim = lim.withDefaults()
	var prev *store.Change
	for i := range existing {
		if existing[i].EntityType == req.EntityType && existing[i].EntityID == req.EntityID {
			prev = &existing[i]
			break
		}
	}
	if err := checkShape(req); err != nil {
		return store.ChangeSetEdit{}, err
	}
	if why := checkout.IDProblem(req.EntityID); why != "" {
		// A file path no checkout could hold, or one git refuses: never stored.
		return store.ChangeSetEdit{}, unprocessable("entity_id", "the id %q %s", req.EntityID, why)
	}
	def, changed, exists := canon.Canonical(req.EntityType, req.EntityID)
	name := req.EntityType + " " + strconv.Quote(req.EntityID)
	if prev == nil && len(existing) >= lim.MaxChanges {
		return store.ChangeSetEdit{}, unprocessable("", "the draft already holds %d changes, the most a draft may hold (DRAFT_MAX_CHANGES)", len(existing))
	}
	next := store.Change{EntityType: req.EntityType, EntityID: req.EntityID}
	if prev != nil {
		next.ID = prev.ID
		next.BaseGeneration = prev.BaseGeneration
	} else if exists {
		next.BaseGeneration = &changed
	}

	switch prevType(prev) + ">" + req.ChangeType {
	case ">create":
		if exists {
			return store.ChangeSetEdit{}, conflict("%s already exists; change it with an update", name)
		}
		next.ChangeType, next.Entity = store.ChangeCreate, compact(req.Entity)
	case ">update":
		if !exists {
			return store.ChangeSetEdit{}, conflict("%s does not exist; add it with a create", name)
		}
		after, err := applyPatch(def, req.Patch, lim)
		if err != nil {
			return store.ChangeSetEdit{}, err
		}
		next.ChangeType, next.Entity = store.ChangeUpdate, after
	case ">delete":
		if !exists {
			return store.ChangeSetEdit{}, conflict("%s does not exist", name)
		}
		next.ChangeType = store.ChangeDelete
	case "create>update":
		after, err := applyPatch(prev.Entity, req.Patch, lim)
		if err != nil {
			return store.ChangeSetEdit{}, err
		}
		next.ChangeType, next.Entity = store.ChangeCreate, after
	case "create>delete":
		return store.ChangeSetEdit{Remove: prev.ID}, nil
	case "update>update":
		after, err := applyPatch(prev.Entity, req.Patch, lim)
		if err != nil {
			return store.ChangeSetEdit{}, err
		}
		next.ChangeType, next.Entity = store.ChangeUpdate, after
	case "update>delete":
		next.ChangeType = store.ChangeDelete
	case "delete>create":
		next.ChangeType, next.Entity = store.ChangeUpdate, compact(req.Entity)
	case "create>create", "update>create":
		return store.ChangeSetEdit{}, conflict("%s already exists in the draft; change it with an update", name)
	case "delete>update":
		return store.ChangeSetEdit{}, conflict("the draft deletes %s; remove that change first, or create it anew", name)
	case "delete>delete":
		return store.ChangeSetEdit{}, conflict("the draft already deletes %s", name)
	default:
		return store.ChangeSetEdit{}, unprocessable("change_type", "unknown change type %q", req.ChangeType)
	}
	if next.Entity != nil && len(next.Entity) > lim.MaxEntityBytes {
		return store.ChangeSetEdit{}, unprocessable("entity", "the entity would be %d bytes, more than DRAFT_MAX_ENTITY_BYTES (%d)", len(next.Entity), lim.MaxEntityBytes)
	}
	if next.ChangeType == store.ChangeUpdate && exists && jsonpatch.Equal(def, next.Entity) {
		// The entity is back as it is canonically: nothing to propose for it.
		if prev != nil {
			return store.ChangeSetEdit{Remove: prev.ID}, nil
		}
		return store.ChangeSetEdit{}, unprocessable("patch", "the patch leaves %s as it is", name)
	}
	if next.ChangeType == store.ChangeUpdate && exists {
		// The patch kept is the one from the canonical entity to the draft's, not the operations
		// as sent: those may repeat and pile up without bound, this is bounded by the two
		// entities.
		patch, err := Diff(def, next.Entity)
		if err != nil {
			return store.ChangeSetEdit{}, err
		}
		next.Patch = patch
	}
	return store.ChangeSetEdit{Put: &next}, nil
}

func (l Limits) withDefaults() Limits {
	if l.MaxChanges <= 0 {
		l.MaxChanges = DefaultMaxChanges
	}
	if l.MaxEntityBytes <= 0 {
		l.MaxEntityBytes = DefaultMaxEntityBytes
	}
	return l
}

func prevType(prev *store.Change) string {
	if prev == nil {
		return ""
	}
	return prev.ChangeType
}

// checkShape checks that a request carries what its type needs and nothing else.
func checkShape(req Request) error {
	hasEntity, hasPatch := len(req.Entity) > 0, len(req.Patch) > 0
	switch req.ChangeType {
	case store.ChangeCreate:
		if !hasEntity {
			return unprocessable("entity", "a create needs the whole entity")
		}
		if hasPatch {
			return unprocessable("patch", "a create takes the whole entity, not a patch")
		}
		if !isObject(req.Entity) {
			return unprocessable("entity", "the entity must be a JSON object")
		}
	case store.ChangeUpdate:
		if !hasPatch {
			return unprocessable("patch", "an update needs a patch (RFC 6902 operations)")
		}
		if hasEntity {
			return unprocessable("entity", "an update takes a patch, not the whole entity")
		}
	case store.ChangeDelete:
		if hasEntity || hasPatch {
			return unprocessable("", "a delete takes neither entity nor patch")
		}
	default:
		return unprocessable("change_type", "unknown change type %q", req.ChangeType)
	}
	return nil
}

// applyPatch applies ops to doc, all or nothing. When the patch fails, the operations are
// applied one at a time to name the first that fails.
func applyPatch(doc, ops json.RawMessage, lim Limits) (json.RawMessage, error) {
	opts := jsonpatch.NewApplyOptions()
	// Negative indices are not RFC 6902; a copy may not grow the entity past the limit.
	opts.SupportNegativeIndices = false
	opts.AccumulatedCopySizeLimit = int64(lim.MaxEntityBytes)
	opts.EscapeHTML = false
	patch, err := jsonpatch.DecodePatch(ops)
	if err != nil {
		return nil, unprocessable("patch", "not a JSON Patch: %v", err)
	}
	out, err := patch.ApplyWithOptions(doc, opts)
	if err != nil {
		return nil, locatePatchError(doc, patch, opts, err)
	}
	if !isObject(out) {
		return nil, unprocessable("patch", "the patch must leave the entity a JSON object")
	}
	return compact(out), nil
}

// locatePatchError finds the operation that makes patch fail on doc.
func locatePatchError(doc []byte, patch jsonpatch.Patch, opts *jsonpatch.ApplyOptions, whole error) error {
	cur := doc
	for i, op := range patch {
		next, err := jsonpatch.Patch{op}.ApplyWithOptions(cur, opts)
		if err != nil {
			kind := op.Kind()
			path, _ := op.Path()
			return unprocessable("patch/"+strconv.Itoa(i), "%s %s: %v", kind, path, plainPatchError(err))
		}
		cur = next
	}
	return unprocessable("patch", "%v", plainPatchError(whole))
}

// plainPatchError drops the library's stack of wrapping context down to its first cause.
func plainPatchError(err error) string {
	switch {
	case errors.Is(err, jsonpatch.ErrTestFailed):
		return "test failed: the value differs"
	case errors.Is(err, jsonpatch.ErrMissing):
		return "path does not exist"
	}
	return err.Error()
}

func isObject(raw []byte) bool {
	trimmed := bytes.TrimSpace(raw)
	return len(trimmed) > 0 && trimmed[0] == '{'
}

// compact returns raw as compact JSON (the request's bytes when they do not compact, which the
// strict body check upstream rules out).
func compact(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

// Diff is the RFC 6902 patch that turns before into after, each operation written with its
// members in the RFC's order (op, from, path, value); "[]" when they are equal.
func Diff(before, after []byte) (json.RawMessage, error) {
	patch, err := jsondiff.CompareJSON(before, after, jsondiff.Factorize())
	if err != nil {
		return nil, fmt.Errorf("changeset: diff: %w", err)
	}
	type operation struct {
		Op    string           `json:"op"`
		From  string           `json:"from,omitempty"`
		Path  string           `json:"path"`
		Value *json.RawMessage `json:"value,omitempty"`
	}
	ops := make([]operation, 0, len(patch))
	for _, op := range patch {
		o := operation{Op: op.Type, From: op.From, Path: op.Path}
		if op.Type == jsondiff.OperationAdd || op.Type == jsondiff.OperationReplace || op.Type == jsondiff.OperationTest {
			raw, err := encode(op.Value)
			if err != nil {
				return nil, fmt.Errorf("changeset: diff: %w", err)
			}
			value := json.RawMessage(raw)
			o.Value = &value
		}
		ops = append(ops, o)
	}
	out, err := encode(ops)
	if err != nil {
		return nil, fmt.Errorf("changeset: diff: %w", err)
	}
	return out, nil
}

// encode marshals v as compact JSON without HTML escaping: "<" stays one byte.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
