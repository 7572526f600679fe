// Package snapshot holds the canonical ontology of one ingested generation in memory, immutable,
// in the form every read answers from: each entity's body encoded once with its ETag, each kind
// in id order for pages, a search index per kind, the inheritance graph with every category's
// effective properties and subobjects and their inverse (used-by), module membership and the
// details of modules and bundles. Every answer to one request comes from one Snapshot, so an
// ingest that lands meanwhile cannot mix two generations into one answer.
//
// A Holder keeps the current Snapshot of a replica and swaps in the next one when an ingest is
// announced (see Holder); the database stays the source of truth and the snapshot is the only
// way it is read.
package snapshot

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/store"
)

// Snapshot is the ontology of one generation. Its methods are safe for concurrent use.
type Snapshot struct {
	// Generation is the ingest generation; 0 when nothing was ever ingested.
	Generation int64
	// CommitSHA is the commit of that ingest.
	CommitSHA *string
	// IngestedAt is when that ingest ran.
	IngestedAt time.Time
	// LoadedAt is when this replica built the snapshot.
	LoadedAt time.Time
	// RepoVersion is the repository's VERSION ("" when none).
	RepoVersion string
	// BundleFolder is where the repository keeps bundles: "bundles" or "profiles".
	BundleFolder string
	// Schemas holds each kind folder's _schema.json, as read.
	Schemas map[ontology.Kind][]byte
	// Findings are the validation findings stored with the ingest (a JSON array).
	Findings json.RawMessage
	// Summary is what the ingest changed, by kind.
	Summary store.IngestSummary

	kinds      map[ontology.Kind]*kindIndex
	countsBody []byte
	graph      *categoryGraph
	modules    map[string]*moduleInfo
	bundles    map[string]*bundleInfo
	validation validation
}

// kindIndex holds the entities of one kind.
type kindIndex struct {
	// sorted holds the entities in id order (byte order, as PostgreSQL's C collation and Go sort).
	sorted []*Entity
	byID   map[string]*Entity
	search *searchIndex
}

// position returns the index of the first entity whose id is greater than after.
func (k *kindIndex) position(after string) int {
	return sort.Search(len(k.sorted), func(i int) bool { return k.sorted[i].ID > after })
}

// Build makes the snapshot of an ontology read from the store.
func Build(o store.Ontology) (*Snapshot, error) {
	s := &Snapshot{
		Generation:   o.Generation,
		CommitSHA:    o.CommitSHA,
		IngestedAt:   o.IngestedAt,
		LoadedAt:     time.Now(),
		RepoVersion:  o.RepoVersion,
		BundleFolder: o.BundleFolder,
		Schemas:      map[ontology.Kind][]byte{},
		Findings:     o.Findings,
		Summary:      o.Summary,
	}
	for kind, schema := range o.Schemas {
		s.Schemas[ontology.Kind(kind)] = schema
	}
	entities := make([]*Entity, 0, len(o.Entities))
	// Thousands of entities share a handful of commits: one string each, not one per row.
	commits := map[string]*string{}
	for _, row := range o.Entities {
		if row.CommitSHA != nil {
			if shared, ok := commits[*row.CommitSHA]; ok {
				row.CommitSHA = shared
			} else {
				commits[*row.CommitSHA] = row.CommitSHA
			}
		}
		source := row.Source
		if len(source) == 0 {
			// Rows from before sources were kept, or written by hand: the column's default.
			source = []byte("{}")
		}
		e, err := newEntity(Entity{
			Kind: ontology.Kind(row.EntityType), ID: row.EntityID, Label: row.Label, Description: row.Description, File: row.FilePath,
			CommitSHA: row.CommitSHA, Changed: row.ChangedGeneration, UUID: row.ID,
			CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt,
		}, source)
		if err != nil {
			return nil, err
		}
		entities = append(entities, e)
	}
	if err := s.index(entities, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// index builds everything a snapshot answers from out of its entities, which it takes over:
// it sets their positions. The kinds in reuse are taken as they are (their entities are not in
// entities): a preview shares the indexes of the kinds its draft leaves alone.
func (s *Snapshot) index(entities []*Entity, reuse map[ontology.Kind]*kindIndex) error {
	s.kinds = map[ontology.Kind]*kindIndex{}
	fresh := map[ontology.Kind]*kindIndex{}
	for _, kind := range ontology.Kinds {
		if k, ok := reuse[kind]; ok {
			s.kinds[kind] = k
			continue
		}
		fresh[kind] = &kindIndex{byID: map[string]*Entity{}}
		s.kinds[kind] = fresh[kind]
	}
	for _, e := range entities {
		k, ok := fresh[e.Kind]
		if !ok {
			return fmt.Errorf("snapshot: %q: unknown entity type %q", e.ID, e.Kind)
		}
		k.sorted = append(k.sorted, e)
		k.byID[e.ID] = e
	}
	for _, k := range fresh {
		// The store orders by id in the database's collation; the pages and their cursors need
		// byte order.
		sort.Slice(k.sorted, func(i, j int) bool { return k.sorted[i].ID < k.sorted[j].ID })
		for i, e := range k.sorted {
			e.pos = int32(i)
		}
		k.search = newSearchIndex(k.sorted)
	}
	if err := s.buildCounts(); err != nil {
		return err
	}
	s.graph = newCategoryGraph(s)
	if err := s.buildModules(); err != nil {
		return err
	}
	return s.buildBundles()
}

// Empty is the snapshot of a database nothing was ever ingested into.
func Empty() *Snapshot {
	s, err := Build(store.Ontology{BundleFolder: "bundles", Findings: json.RawMessage("[]")})
	if err != nil {
		panic(err) // an empty ontology always builds
	}
	return s
}

// Entity returns the live entity of a kind and id.
func (s *Snapshot) Entity(kind ontology.Kind, id string) (*Entity, bool) {
	k, ok := s.kinds[kind]
	if !ok {
		return nil, false
	}
	e, ok := k.byID[id]
	return e, ok
}

// Label returns the label of a live entity.
func (s *Snapshot) Label(kind ontology.Kind, id string) (string, bool) {
	e, ok := s.Entity(kind, id)
	if !ok {
		return "", false
	}
	return e.Label, true
}

// Len returns the number of live entities of a kind.
func (s *Snapshot) Len(kind ontology.Kind) int {
	if k, ok := s.kinds[kind]; ok {
		return len(k.sorted)
	}
	return 0
}

// Entities returns the live entities of a kind in id order. The slice is shared: do not modify it.
func (s *Snapshot) Entities(kind ontology.Kind) []*Entity {
	if k, ok := s.kinds[kind]; ok {
		return k.sorted
	}
	return nil
}

// CountsBody is the answer of GET /api/v1/entities.
func (s *Snapshot) CountsBody() []byte { return s.countsBody }

func (s *Snapshot) buildCounts() error {
	var body gen.EntityCounts
	c := &body.Counts
	for kind, n := range map[ontology.Kind]*int{
		ontology.KindCategory: &c.Category, ontology.KindProperty: &c.Property, ontology.KindSubobject: &c.Subobject,
		ontology.KindTemplate: &c.Template, ontology.KindModule: &c.Module, ontology.KindBundle: &c.Bundle,
		ontology.KindDashboard: &c.Dashboard, ontology.KindResource: &c.Resource,
	} {
		*n = s.Len(kind)
		body.Total += *n
	}
	var err error
	s.countsBody, err = Encode(body)
	return err
}
