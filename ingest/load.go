// Package ingest reads a schema repository checkout (one JSON file per
// category, property, subobject, module and profile or bundle), validates it
// and writes it to the database as one snapshot.
package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ontohub/ontohub/store"
)

// kind is one kind of entity file and the folders that hold it.
type kind struct {
	name    string   // singular, as in the summary: "category"
	folders []string // folders of the checkout holding files of this kind
}

// kinds lists the kinds in the order they are read and reported. Profiles
// come from profiles/ in the older layout and bundles/ in the newer one.
var kinds = []kind{
	{name: "category", folders: []string{"categories"}},
	{name: "property", folders: []string{"properties"}},
	{name: "subobject", folders: []string{"subobjects"}},
	{name: "module", folders: []string{"modules"}},
	{name: "profile", folders: []string{"profiles", "bundles"}},
}

// schemaFile is the JSON Schema describing a folder's files in the newer
// layout; it is not an entity.
const schemaFile = "_schema.json"

// maxReported caps the problems spelled out in a ValidationError message.
const maxReported = 20

// Problem is one thing wrong with one file of a checkout.
type Problem struct {
	// File is the path relative to the checkout, e.g. "properties/Has_name.json".
	File string
	// Message says what is wrong.
	Message string
}

// ValidationError lists everything wrong with a checkout. Nothing is written
// to the database when Load returns one.
type ValidationError struct {
	Dir      string
	Problems []Problem
}

// Error spells out the first problems, one per line.
func (e *ValidationError) Error() string {
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
		fmt.Fprintf(&b, "\n  %s: %s", p.File, p.Message)
	}
	return b.String()
}

// Load reads and validates the checkout in dir without touching the
// database. Only the top-level *.json files of each kind folder are entities:
// _schema.json files, subfolders (such as versions/) and all other folders
// are skipped. Every problem found is reported in one *ValidationError.
// The returned snapshot has no CommitSHA; see CommitSHA.
func Load(dir string) (store.Snapshot, error) {
	info, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return store.Snapshot{}, fmt.Errorf("ingest: %s does not exist", dir)
		}
		return store.Snapshot{}, fmt.Errorf("ingest: %w", err)
	}
	if !info.IsDir() {
		return store.Snapshot{}, fmt.Errorf("ingest: %s is not a directory", dir)
	}

	l := loader{dir: dir}
	found := 0
	for _, k := range kinds {
		for _, folder := range k.folders {
			ok, err := l.readFolder(k, folder)
			if err != nil {
				return store.Snapshot{}, fmt.Errorf("ingest: %w", err)
			}
			if ok {
				found++
			}
		}
	}
	if found == 0 {
		// A typo'd path must not look like an empty repository, which would
		// soft-delete everything.
		return store.Snapshot{}, fmt.Errorf("ingest: no categories/, properties/, subobjects/, modules/, profiles/ or bundles/ folder in %s", dir)
	}
	if len(l.problems) > 0 {
		return store.Snapshot{}, &ValidationError{Dir: dir, Problems: l.problems}
	}
	return l.snap, nil
}

// loader accumulates the snapshot and the problems while Load walks the folders.
type loader struct {
	dir      string
	snap     store.Snapshot
	problems []Problem
	// seen maps kind and id to the file that defined it, to catch an id
	// defined twice (profiles/ and bundles/ both hold profiles).
	seen map[[2]string]string
}

func (l *loader) problem(file, format string, args ...any) {
	l.problems = append(l.problems, Problem{File: file, Message: fmt.Sprintf(format, args...)})
}

// readFolder reads the entity files of one folder and reports whether the
// folder exists. The error is for I/O failures; problems with the content
// are collected in l.problems.
func (l *loader) readFolder(k kind, folder string) (bool, error) {
	info, err := os.Stat(filepath.Join(l.dir, folder))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !info.IsDir() {
		l.problem(folder, "is a file, expected a folder of %s files", k.name)
		return true, nil
	}
	entries, err := os.ReadDir(filepath.Join(l.dir, folder))
	if err != nil {
		return false, err
	}
	// os.ReadDir sorts by name, so records and problems come in a stable order.
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || !strings.HasSuffix(name, ".json") || name == schemaFile {
			continue
		}
		rel := filepath.Join(folder, name)
		data, err := os.ReadFile(filepath.Join(l.dir, rel))
		if err != nil {
			l.problem(rel, "cannot read: %v", err)
			continue
		}
		l.addFile(k, rel, strings.TrimSuffix(name, ".json"), data)
	}
	return true, nil
}

// addFile validates one file and, when it is valid, adds its record.
func (l *loader) addFile(k kind, rel, wantID string, data []byte) {
	f, problems := parseFile(k.name, wantID, data)
	for _, msg := range problems {
		l.problem(rel, "%s", msg)
	}
	if len(problems) > 0 {
		return
	}
	if l.seen == nil {
		l.seen = map[[2]string]string{}
	}
	key := [2]string{k.name, f.id}
	if other, dup := l.seen[key]; dup {
		l.problem(rel, "%s id %q is already defined by %s", k.name, f.id, other)
		return
	}
	l.seen[key] = rel

	switch k.name {
	case "module":
		l.snap.Modules = append(l.snap.Modules, store.ModuleRecord{
			ModuleID:         f.id,
			Label:            f.label,
			Description:      f.description,
			CategoryIDs:      f.lists["categories"],
			Dependencies:     f.lists["dependencies"],
			SchemaDefinition: data,
		})
	case "profile":
		l.snap.Profiles = append(l.snap.Profiles, store.ProfileRecord{
			ProfileID:        f.id,
			Label:            f.label,
			Description:      f.description,
			ModuleIDs:        f.lists["modules"],
			SchemaDefinition: data,
		})
	default:
		l.snap.Entities = append(l.snap.Entities, store.EntityRecord{
			EntityType:       k.name,
			EntityID:         f.id,
			Label:            f.label,
			Description:      f.description,
			SchemaDefinition: data,
		})
	}
}
