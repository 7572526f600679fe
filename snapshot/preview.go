package snapshot

import (
	"fmt"
	"path"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/validate"
)

// Change is an entity as a draft makes it, for a preview.
type Change struct {
	Kind ontology.Kind
	ID   string
	// Data is the whole entity (JSON); nil deletes it.
	Data []byte
	// At is when the draft last changed it.
	At time.Time
}

// previewNamespace derives stable ids for entities a draft creates.
var previewNamespace = uuid.MustParse("5b0f6a3e-2d3c-4f51-9a55-7a3d8e0c1b20")

// With returns the ontology as it would be with changes applied: the preview of a draft. The
// kinds the draft leaves alone are shared with s whole (entities, pages, search index); of the
// kinds it changes, the bodies, definitions and ETags of unchanged entities are shared and only
// their small headers copied, since positions move. The graph, used-by and module closures are
// built afresh, as the draft may change any of them. Changed entities carry no commit_sha (no
// commit has them yet).
func (s *Snapshot) With(changes []Change) (*Snapshot, error) {
	p := &Snapshot{
		Generation: s.Generation, CommitSHA: s.CommitSHA, IngestedAt: s.IngestedAt, LoadedAt: s.LoadedAt,
		RepoVersion: s.RepoVersion, BundleFolder: s.BundleFolder, Schemas: s.Schemas, Findings: s.Findings, Summary: s.Summary,
	}
	type key struct {
		kind ontology.Kind
		id   string
	}
	changed := make(map[key]Change, len(changes))
	touched := map[ontology.Kind]bool{}
	for _, c := range changes {
		changed[key{c.Kind, c.ID}] = c
		touched[c.Kind] = true
	}
	// Kinds the draft leaves alone keep their index, entities and positions as they are; the
	// entities of the kinds it changes get headers of their own (their positions move).
	reuse := map[ontology.Kind]*kindIndex{}
	var entities []*Entity
	for _, kind := range ontology.Kinds {
		if !touched[kind] {
			reuse[kind] = s.kinds[kind]
			continue
		}
		for _, e := range s.Entities(kind) {
			if _, ok := changed[key{kind, e.ID}]; ok {
				continue
			}
			header := *e
			entities = append(entities, &header)
		}
	}
	for _, c := range changes {
		if c.Data == nil {
			continue
		}
		e, err := s.previewEntity(c)
		if err != nil {
			return nil, err
		}
		entities = append(entities, e)
	}
	if err := p.index(entities, reuse); err != nil {
		return nil, err
	}
	return p, nil
}

// previewEntity builds the entity a change makes.
func (s *Snapshot) previewEntity(c Change) (*Entity, error) {
	label, description, err := ontology.Describe(c.ID, c.Data)
	if err != nil {
		return nil, fmt.Errorf("snapshot: preview %s %q: %w", c.Kind, c.ID, err)
	}
	fields := Entity{Kind: c.Kind, ID: c.ID, Label: label, Description: description,
		File: s.FilePath(c.Kind, c.ID), UUID: uuid.NewSHA1(previewNamespace, []byte(string(c.Kind)+"/"+c.ID)),
		CreatedAt: c.At, UpdatedAt: c.At}
	if old, ok := s.Entity(c.Kind, c.ID); ok {
		fields.UUID, fields.CreatedAt = old.UUID, old.CreatedAt
	}
	return newEntity(fields, c.Data)
}

// FilePath is where the file of an entity is, or would be, in the repository.
func (s *Snapshot) FilePath(kind ontology.Kind, id string) string {
	if e, ok := s.Entity(kind, id); ok && e.File != "" {
		return e.File
	}
	folder := kind.Folder()
	if kind == ontology.KindBundle && s.BundleFolder != "" {
		folder = s.BundleFolder
	}
	return path.Join(folder, id+".json")
}

// Canonical returns an entity's definition and the generation that last changed it: what a
// draft change is made against.
func (s *Snapshot) Canonical(kind, id string) ([]byte, int64, bool) {
	e, ok := s.Entity(ontology.Kind(kind), id)
	if !ok {
		return nil, 0, false
	}
	return e.Def, e.Changed, true
}

// validation is the snapshot's ontology prepared for checking drafts, built once on first use.
type validation struct {
	once     sync.Once
	ontology *validate.Ontology
	err      error
}

// Validation returns the snapshot prepared for the validation engine: parsed and checked once,
// then shared by every draft validated against this snapshot.
func (s *Snapshot) Validation() (*validate.Ontology, error) {
	s.validation.once.Do(func() {
		repo := validate.Repo{Schemas: s.Schemas, Version: s.RepoVersion, BundleFolder: s.BundleFolder}
		for _, kind := range ontology.Kinds {
			for _, e := range s.Entities(kind) {
				repo.Entities = append(repo.Entities, validate.Entity{Kind: kind, ID: e.ID, File: e.File, Data: e.Def})
			}
		}
		s.validation.ontology, s.validation.err = validate.Prepare(repo)
	})
	return s.validation.ontology, s.validation.err
}
