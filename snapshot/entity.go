package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ontology"
)

// Entity is one entity of a snapshot. It is immutable once built: every request that reads it
// shares it.
type Entity struct {
	Kind        ontology.Kind
	ID          string
	Label       string
	Description *string
	// File is the entity's path in the repository.
	File string
	// CommitSHA is the commit of the ingest that last changed the entity.
	CommitSHA *string
	// Changed is the generation that last changed it.
	Changed   int64
	UUID      uuid.UUID
	CreatedAt time.Time
	UpdatedAt time.Time
	// Def is the entity's file as compact JSON, keys in file order (a slice of Body).
	Def []byte
	// Body is the whole answer of GET /api/v1/entities/{type}/{id}, encoded once.
	Body []byte
	// ETag is Body's strong entity tag.
	ETag string
	// pos is the entity's position in its kind's id order.
	pos int32
}

// Ref is the entity as a reference in other answers.
func (e *Entity) Ref() gen.EntityRef {
	label := e.Label
	return gen.EntityRef{EntityId: e.ID, Label: &label}
}

// newEntity builds an entity from its fields and its file, encoding its body once.
func newEntity(fields Entity, source []byte) (*Entity, error) {
	var def bytes.Buffer
	if err := json.Compact(&def, source); err != nil {
		return nil, fmt.Errorf("snapshot: %s %q: %w", fields.Kind, fields.ID, err)
	}
	e := fields
	body, err := Encode(gen.Entity{
		Id:               e.UUID,
		EntityId:         e.ID,
		EntityType:       gen.EntityType(e.Kind),
		Label:            e.Label,
		Description:      e.Description,
		SchemaDefinition: def.Bytes(),
		CommitSha:        e.CommitSHA,
		CreatedAt:        e.CreatedAt.UTC(),
		UpdatedAt:        e.UpdatedAt.UTC(),
	})
	if err != nil {
		return nil, fmt.Errorf("snapshot: %s %q: %w", e.Kind, e.ID, err)
	}
	// Encode's buffer has room to spare; a snapshot keeps tens of thousands of bodies.
	e.Body = bytes.Clone(body)
	e.Def = subslice(e.Body, def.Bytes())
	e.ETag = ETag(body)
	return &e, nil
}

// subslice returns the part of body equal to part, so the definition is not held twice; part
// itself when body does not contain it (it always does: encoding a compact RawMessage without
// HTML escaping keeps its bytes).
func subslice(body, part []byte) []byte {
	if i := bytes.Index(body, part); i >= 0 {
		return body[i : i+len(part) : i+len(part)]
	}
	return part
}

// Encode marshals v as compact JSON without HTML escaping (definitions are full of wikitext, and
// "<" reads better than "\u003c") and without the trailing newline.
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// ETag is the strong entity tag of a body: a truncated SHA-256, so it changes exactly when the
// bytes do and is the same on every replica.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}
