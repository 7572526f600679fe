package validate

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ontohub/ontohub/checkout"
	"github.com/ontohub/ontohub/ontology"
)

// Ontology is a prepared ontology: every entity parsed once, the checks on single entities run
// once and their findings kept, the checks across entities run once. A prepared Ontology is
// immutable and safe for concurrent use; With lays changes over it without copying it.
type Ontology struct {
	repo *repoInfo
	// base is the canonical ontology an overlay lies over; nil for a prepared one.
	base *Ontology
	// entities holds, per kind index, every entity of a prepared ontology, or the changed
	// entities of an overlay (a nil value: deleted).
	entities []map[string]*entity
	// sorted holds, per kind index, the entities of a prepared ontology ordered by id, or the
	// entities an overlay creates (absent from base), ordered by id.
	sorted [][]*entity
	// fold maps, per kind index, the case- and normalization-folded id of a prepared
	// ontology's entities to the id, to catch a draft creating "person" beside "Person".
	fold []map[string]string
	// changes are an overlay's changes, one per entity (the last one given), ordered.
	changes []Change
	// extra are findings about an overlay's changes that belong to no entity (unknown kind).
	extra []Finding

	once   sync.Once
	result *analysis
}

// repoInfo is what a prepared ontology and its overlays share.
type repoInfo struct {
	schemas      []*jsonschema.Schema
	older        bool
	findings     []Finding // repository-level: _schema.json, VERSION, folders
	version      string
	bundleFolder string
}

// analysis is the outcome of the checks across entities.
type analysis struct {
	// findings are all findings, sorted.
	findings []Finding
	// set holds findings for the draft comparison (prepared ontologies only).
	set map[Finding]struct{}
	// members maps, per kind index, an entity id to the ids of the modules it belongs to,
	// sorted. An overlay whose modules changed keeps the prepared ontology's map here and the
	// entries its changes alter in delta.
	members []map[string][]string
	delta   []map[string][]string
	// canonicalMembers is set when members is the prepared ontology's map, so that the copy
	// each prepared entity holds may be used instead.
	canonicalMembers bool
	// cycles are the cycle findings per graph (category, property, module), reused by
	// overlays that change no entity of the graph's kind.
	cycles [3][]Finding
	// scopes maps a module id to the modules its entities may reference: itself and its
	// transitive dependencies.
	scopes map[string]map[string]bool
}

// Prepare parses and checks a whole repository. It fails only on input no checkout produces
// (an unknown kind, one kind and id given twice); everything wrong with the repository's
// content, including an unusable _schema.json, is a finding.
func Prepare(repo Repo) (*Ontology, error) {
	folder := func(k ontology.Kind) string { return folderOf(k, repo.BundleFolder) }
	schemas, findings := compileSchemas(repo.Schemas, func(k ontology.Kind) string { return path.Join(folder(k), schemaFileName) })
	info := &repoInfo{schemas: schemas, older: len(repo.Schemas) == 0, version: repo.Version, bundleFolder: repo.BundleFolder}
	if info.bundleFolder == "" {
		info.bundleFolder = ontology.KindBundle.Folder()
	}
	if repo.Version != "" {
		if _, ok := parseSemver(repo.Version); !ok {
			findings = append(findings, Finding{Severity: SeverityError, Code: CodeInvalidVersion, File: "VERSION",
				Message: fmt.Sprintf("VERSION %q is not semver (MAJOR.MINOR.PATCH)", repo.Version)})
		}
	}
	o := &Ontology{repo: info, entities: newKindMaps[*entity](), sorted: make([][]*entity, numKinds), fold: newKindMaps[string]()}
	checker := &localChecker{schemas: schemas, printer: newPrinter()}
	for _, in := range repo.Entities {
		k := in.Kind.Index()
		if k < 0 {
			return nil, fmt.Errorf("validate: prepare: %s: unknown kind %q", in.File, in.Kind)
		}
		if _, dup := o.entities[k][in.ID]; dup {
			return nil, fmt.Errorf("validate: prepare: %s %q given twice", in.Kind, in.ID)
		}
		o.entities[k][in.ID] = checker.parse(k, in.ID, in.File, in.Data)
	}
	for _, p := range repo.Problems {
		f, kind, id, isEntity := problemFinding(p)
		if !isEntity {
			findings = append(findings, f)
			continue
		}
		k := kind.Index()
		if e, ok := o.entities[k][id]; ok {
			e.local = append(e.local, f)
			continue
		}
		o.entities[k][id] = &entity{kind: k, id: id, file: p.Path, broken: true, local: []Finding{f}}
	}
	info.findings = findings
	o.index()
	o.result = o.analyze()
	o.publish()
	return o, nil
}

// index orders a prepared ontology's entities, folds their ids and resolves their references,
// once, for every overlay to reuse.
func (o *Ontology) index() {
	for k := range numKinds {
		for _, e := range o.entities[k] {
			o.sorted[k] = append(o.sorted[k], e)
		}
		slices.SortFunc(o.sorted[k], func(a, b *entity) int { return cmp.Compare(a.id, b.id) })
		// Folded in id order, so that of two clashing ids the first is kept.
		for _, e := range o.sorted[k] {
			key := checkout.FoldID(e.id)
			if _, taken := o.fold[k][key]; !taken {
				o.fold[k][key] = e.id
			}
		}
	}
	for k := range numKinds {
		for _, e := range o.sorted[k] {
			for i := range e.refs {
				r := &e.refs[i]
				r.to, r.resolved = o.entities[r.target][r.id], true
			}
		}
	}
}

// publish finishes a prepared ontology after its analysis: each entity keeps its membership
// and the findings become a set for draft comparisons. Nothing changes afterwards, so that
// concurrent readers need no locks.
func (o *Ontology) publish() {
	for k := range numKinds {
		for _, e := range o.sorted[k] {
			e.members, e.membersKnown = o.result.members[k][e.id], true
		}
	}
	o.result.canonicalMembers = true
	o.result.set = make(map[Finding]struct{}, len(o.result.findings))
	for _, f := range o.result.findings {
		o.result.set[f] = struct{}{}
	}
	o.once.Do(func() {}) // the analysis is done: analysis() must not run it again
}

func newKindMaps[V any]() []map[string]V {
	out := make([]map[string]V, numKinds)
	for k := range out {
		out[k] = map[string]V{}
	}
	return out
}

// Findings returns every finding of the ontology (an overlay: of the ontology with its
// changes), sorted by file, path and code.
func (o *Ontology) Findings() []Finding {
	return slices.Clone(o.analysis().findings)
}

// Valid reports whether the ontology has no finding of severity error.
func (o *Ontology) Valid() bool {
	return !hasError(o.analysis().findings)
}

func hasError(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

// analysis runs the checks across entities once (an overlay's on first use).
func (o *Ontology) analysis() *analysis {
	o.once.Do(func() { o.result = o.analyze() })
	return o.result
}

// resolve returns the entity a reference names, nil when there is none. A reference of a
// prepared entity was resolved by Prepare; an overlay then only looks among its changes.
func (o *Ontology) resolve(r *ref) *entity {
	if !r.resolved {
		return o.get(r.target, r.id)
	}
	if o.base != nil {
		if changed := o.entities[r.target]; len(changed) > 0 {
			if e, ok := changed[r.id]; ok {
				return e
			}
		}
	}
	return r.to
}

// get returns the entity of kind index k and id, nil when there is none.
func (o *Ontology) get(k int, id string) *entity {
	if o.base != nil {
		if e, changed := o.entities[k][id]; changed {
			return e
		}
		return o.base.entities[k][id]
	}
	return o.entities[k][id]
}

// each calls fn for every entity of kind index k: an overlay's unchanged and changed ones in
// the canonical order, then those it creates.
func (o *Ontology) each(k int, fn func(*entity)) {
	if o.base == nil {
		for _, e := range o.sorted[k] {
			fn(e)
		}
		return
	}
	changed := o.entities[k]
	for _, e := range o.base.sorted[k] {
		if len(changed) > 0 {
			if c, ok := changed[e.id]; ok {
				if c != nil {
					fn(c)
				}
				continue
			}
		}
		fn(e)
	}
	for _, e := range o.sorted[k] {
		fn(e)
	}
}

// canonical returns the prepared ontology under o (o itself when it is one).
func (o *Ontology) canonical() *Ontology {
	if o.base != nil {
		return o.base
	}
	return o
}

// Change is one change of a draft: the full new content of an entity, or its deletion.
type Change struct {
	// Kind is the entity's kind.
	Kind ontology.Kind
	// ID is the entity's id.
	ID string
	// Data is the entity's full new JSON (create or update); nil deletes the entity.
	Data []byte
}

// With returns the ontology with changes applied: an overlay over the prepared ontology that
// shares everything unchanged, so it costs the checks on the changed entities only (the checks
// across entities run on first use of the result). Of several changes to one entity the last
// counts; With on an overlay applies the new changes after the overlay's own. Deleting an
// entity that does not exist changes nothing.
func (o *Ontology) With(changes []Change) *Ontology {
	canon := o.canonical()
	all := slices.Concat(o.changes, changes)
	if o.base == nil {
		all = slices.Clone(changes)
	}
	last := map[changeKey]int{}
	for i, c := range all {
		last[changeKey{c.Kind, c.ID}] = i
	}
	var kept []Change
	for i, c := range all {
		if last[changeKey{c.Kind, c.ID}] == i {
			kept = append(kept, c)
		}
	}
	slices.SortFunc(kept, func(a, b Change) int {
		return cmp.Or(cmp.Compare(a.Kind.Index(), b.Kind.Index()), cmp.Compare(a.ID, b.ID))
	})

	over := &Ontology{repo: canon.repo, base: canon, entities: newKindMaps[*entity](), sorted: make([][]*entity, numKinds)}
	checker := &localChecker{schemas: canon.repo.schemas, printer: newPrinter()}
	for _, c := range kept {
		k := c.Kind.Index()
		if k < 0 {
			over.extra = append(over.extra, Finding{Severity: SeverityError, Code: CodeInvalidID, EntityType: string(c.Kind), EntityID: c.ID,
				Message: fmt.Sprintf("unknown entity type %q", c.Kind)})
			continue
		}
		existing := canon.entities[k][c.ID]
		if c.Data == nil {
			if existing != nil {
				over.entities[k][c.ID] = nil
				over.changes = append(over.changes, c)
			}
			continue
		}
		// Not path.Join: it would clean an id such as "a/../b" into another file's path.
		file := folderOf(c.Kind, canon.repo.bundleFolder) + "/" + c.ID + ".json"
		if existing != nil {
			file = existing.file
		}
		var e *entity
		if why := checkout.IDProblem(c.ID); why != "" {
			e = &entity{kind: k, id: c.ID, file: file, broken: true, local: []Finding{{Severity: SeverityError, Code: CodeInvalidID,
				EntityType: string(c.Kind), EntityID: c.ID, File: file, Message: fmt.Sprintf("id %q %s", c.ID, why)}}}
		} else if p, bad := checkout.FileProblem(checkout.File{Kind: c.Kind, ID: c.ID, Path: file, Data: c.Data}); bad {
			f, _, _, _ := problemFinding(p)
			f.EntityType, f.EntityID = string(c.Kind), c.ID
			e = &entity{kind: k, id: c.ID, file: file, broken: true, local: []Finding{f}}
		} else {
			e = checker.parse(k, c.ID, file, c.Data)
		}
		over.entities[k][c.ID] = e
		over.changes = append(over.changes, c)
		if existing == nil {
			over.sorted[k] = append(over.sorted[k], e)
		}
	}
	return over
}

// changeKey identifies the entity a change is about.
type changeKey struct {
	kind ontology.Kind
	id   string
}

// changed reports whether the overlay changes any entity of kind index k.
func (o *Ontology) changed(k int) bool {
	return o.base != nil && len(o.entities[k]) > 0
}
