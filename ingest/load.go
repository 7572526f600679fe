// Package ingest loads a schema-repository checkout into the database: every entity file of the
// eight kinds, the _schema.json files, VERSION, and the validation findings of the ontology they
// make, written as one new generation.
//
// What stops an ingest is a checkout that cannot be taken as an ontology at all: a file that
// cannot be read (a symlink, too large) or is not one strict JSON object, or ids that are not
// usable (see checkout.Problems). Breaking a rule of the ontology (a reference that does not
// resolve, a cycle) never does: the canonical repository is what it is, and its findings are
// stored with it and served.
package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ontohub/ontohub/checkout"
	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/store"
)

// maxReported caps the problems spelled out in a ProblemsError message.
const maxReported = 20

// ProblemsError lists everything that keeps a checkout from being ingested. Nothing is written
// when Load returns one.
type ProblemsError struct {
	Dir      string
	Problems []checkout.Problem
}

// Error spells out the first problems, one per line.
func (e *ProblemsError) Error() string {
	var b strings.Builder
	noun := "problems"
	if len(e.Problems) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(&b, "ingest: %d %s in %s:", len(e.Problems), noun, e.Dir)
	for i, p := range e.Problems {
		if i == maxReported {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Problems)-maxReported)
			break
		}
		fmt.Fprintf(&b, "\n  %s: %s", p.Path, p.Message)
	}
	return b.String()
}

// Load reads the checkout in dir within lim and turns it into an ingest, without touching the
// database. Every problem found is reported in one *ProblemsError. The ingest has no CommitSHA
// and no findings; see Run.
func Load(dir string, lim checkout.Limits) (store.Ingest, *checkout.Checkout, error) {
	co, err := checkout.Read(dir, lim)
	if err != nil {
		return store.Ingest{}, nil, fmt.Errorf("ingest: %w", err)
	}
	if problems := co.Problems(); len(problems) > 0 {
		return store.Ingest{}, nil, &ProblemsError{Dir: dir, Problems: problems}
	}
	in := store.Ingest{
		RepoVersion:  co.VersionString(),
		BundleFolder: co.BundleFolder,
		Schemas:      map[string]json.RawMessage{},
		Entities:     make([]store.EntityRecord, 0, len(co.Files)),
	}
	for kind, f := range co.Schemas {
		in.Schemas[string(kind)] = f.Data
	}
	for _, f := range co.Files {
		record, err := Record(string(f.Kind), f.ID, f.Path, f.Data)
		if err != nil {
			return store.Ingest{}, nil, fmt.Errorf("ingest: %s: %w", f.Path, err)
		}
		in.Entities = append(in.Entities, record)
	}
	return in, co, nil
}

// Record makes the database record of one entity file, which must be a strict JSON object. The
// label is the file's label, or the id when it has none (or a blank one, or not a string); the
// description is the file's when it is a string.
func Record(kind, id, path string, data []byte) (store.EntityRecord, error) {
	label, description, err := ontology.Describe(id, data)
	if err != nil {
		return store.EntityRecord{}, err
	}
	hash, err := ContentHash(data)
	if err != nil {
		return store.EntityRecord{}, err
	}
	return store.EntityRecord{EntityType: kind, EntityID: id, FilePath: path, Label: label,
		Description: description, Source: data, ContentHash: hash}, nil
}

// ContentHash is the hex SHA-256 of data as compact JSON: formatting does not count, key order
// does (it shows in every answer that carries the definition).
func ContentHash(data []byte) (string, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		return "", err
	}
	sum := sha256.Sum256(compact.Bytes())
	return hex.EncodeToString(sum[:]), nil
}
