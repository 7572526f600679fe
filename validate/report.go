package validate

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/ontohub/ontohub/ontology"
)

// Report is the outcome of checking an ontology against another: the findings, the entities
// that changed, and the version advice. Its JSON form is part of the API contract; its lists
// are never null.
type Report struct {
	// Valid is true when Findings holds no finding of severity error.
	Valid bool `json:"valid"`
	// Findings are sorted by file, path and code.
	Findings []Finding `json:"findings"`
	// Changes are ordered by kind (ontology.Kinds) and id.
	Changes []EntityChange `json:"changes"`
	// Versions are the affected modules, then bundles (each by id), then the ontology; empty
	// when nothing changed.
	Versions []VersionAdvice `json:"versions"`
}

// Kinds of VersionAdvice.
const (
	// AdviceModule is version advice for a module.
	AdviceModule = "module"
	// AdviceBundle is version advice for a bundle.
	AdviceBundle = "bundle"
	// AdviceOntology is version advice for the ontology as a whole: its ID is "" and its
	// current version the root VERSION.
	AdviceOntology = "ontology"
)

// VersionAdvice is the version bump a module, a bundle or the whole ontology needs.
type VersionAdvice struct {
	// Kind is AdviceModule, AdviceBundle or AdviceOntology.
	Kind string `json:"kind"`
	// ID is the module's or bundle's id, "" for the ontology.
	ID string `json:"id"`
	// CurrentVersion is the released version: the module's or bundle's "version" before the
	// changes, the root VERSION for the ontology; "" when there is none (new, or no VERSION).
	CurrentVersion string `json:"current_version"`
	// Bump is the highest bump among what it is made of.
	Bump string `json:"bump"`
	// SuggestedVersion is CurrentVersion bumped (1.2.3 +minor is 1.3.0). For a new module or
	// bundle it is the version it declares; it is "" when there is nothing to bump (deleted,
	// or the current version is missing or not semver), and Reasons then says why.
	SuggestedVersion string `json:"suggested_version"`
	// Reasons say which changes decided the bump.
	Reasons []string `json:"reasons"`
}

// Compare reports head's findings, every entity that differs between base and head, and the
// version advice those differences call for. Entities whose file cannot be read on either side
// are not classified (their findings already make the report invalid).
func Compare(base, head *Ontology) Report {
	var changes []EntityChange
	for k := range numKinds {
		base.each(k, func(before *entity) {
			if c, ok := classifyPair(k, before.id, before, head.get(k, before.id)); ok {
				changes = append(changes, c)
			}
		})
		head.each(k, func(after *entity) {
			if base.get(k, after.id) != nil {
				return
			}
			if c, ok := classifyPair(k, after.id, nil, after); ok {
				changes = append(changes, c)
			}
		})
	}
	slices.SortFunc(changes, func(a, b EntityChange) int {
		return cmp.Or(cmp.Compare(ontology.Kind(a.EntityType).Index(), ontology.Kind(b.EntityType).Index()), cmp.Compare(a.EntityID, b.EntityID))
	})
	return newReport(head.Findings(), changes, advise(base, head, changes))
}

// CheckChanges checks a draft: o with changes applied. Its findings are only those the draft
// is answerable for: every finding on a changed entity, and any other finding o does not
// already have (a reference the draft broke, a cycle it closed, an entity it orphaned).
// Changes are classified against o.
func (o *Ontology) CheckChanges(changes []Change) Report {
	head := o.With(changes)
	// o's own findings: prepared ontologies keep them as a set.
	known := o.analysis().set
	if known == nil {
		known = map[Finding]struct{}{}
		for _, f := range o.analysis().findings {
			known[f] = struct{}{}
		}
	}
	touched := map[changeKey]bool{}
	for _, c := range changes {
		touched[changeKey{c.Kind, c.ID}] = true
	}
	var findings []Finding
	for _, f := range head.analysis().findings {
		_, old := known[f]
		if !old || (f.EntityID != "" && touched[changeKey{ontology.Kind(f.EntityType), f.EntityID}]) {
			findings = append(findings, f)
		}
	}
	var classified []EntityChange
	for _, key := range slices.SortedFunc(maps.Keys(touched), compareKeys) {
		k := key.kind.Index()
		if k < 0 {
			continue
		}
		if c, ok := classifyPair(k, key.id, o.get(k, key.id), head.get(k, key.id)); ok {
			classified = append(classified, c)
		}
	}
	return newReport(findings, classified, advise(o, head, classified))
}

func compareKeys(a, b changeKey) int {
	return cmp.Or(cmp.Compare(a.kind.Index(), b.kind.Index()), cmp.Compare(a.id, b.id))
}

func newReport(findings []Finding, changes []EntityChange, versions []VersionAdvice) Report {
	return Report{
		Valid:    !hasError(findings),
		Findings: nonNil(findings),
		Changes:  nonNil(changes),
		Versions: nonNil(versions),
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// classifyPair classifies an entity's change between two ontologies (nil: absent).
func classifyPair(k int, id string, before, after *entity) (EntityChange, bool) {
	if (before != nil && before.broken) || (after != nil && after.broken) {
		return EntityChange{}, false
	}
	var old, cur []byte
	if before != nil {
		old = before.data
	}
	if after != nil {
		cur = after.data
	}
	if old != nil && cur != nil && bytes.Equal(old, cur) {
		return EntityChange{}, false
	}
	return classify(k, id, old, cur)
}

// advise aggregates entity changes into version advice: a module takes the highest bump among
// its own change, the entities it lists (before or after the changes) and, as the repository's
// release tooling does, the modules it depends on; a bundle the highest among its own change and
// its modules'; the ontology the highest of all changes.
func advise(base, head *Ontology, changes []EntityChange) []VersionAdvice {
	if len(changes) == 0 {
		return nil
	}
	modules := moduleTallies(base, head, changes)
	bundles := bundleTallies(base, head, changes, modules)
	var out []VersionAdvice
	for _, group := range []struct {
		kind    string
		k       int
		tallies tallies
	}{{AdviceModule, kModule, modules}, {AdviceBundle, kBundle, bundles}} {
		for _, id := range slices.Sorted(maps.Keys(group.tallies)) {
			t := group.tallies[id]
			out = append(out, entityAdvice(group.kind, id, base.get(group.k, id), head.get(group.k, id), t.bump, uniqueStrings(t.reasons)))
		}
	}
	top := ""
	for _, c := range changes {
		top = maxBump(top, c.Bump)
	}
	var reasons []string
	for _, c := range changes {
		if c.Bump == top {
			reasons = append(reasons, describeChange(c))
		}
	}
	advice := VersionAdvice{Kind: AdviceOntology, CurrentVersion: base.repo.version, Bump: top}
	advice.SuggestedVersion, advice.Reasons = suggest(advice.CurrentVersion, top, "the repository has no VERSION file", reasons)
	return append(out, advice)
}

// tallies gathers, per module or bundle id, the highest bump and why.
type tallies map[string]*tally

type tally struct {
	bump    string
	reasons []string
}

func (ts tallies) note(id, bump, why string) {
	t := ts[id]
	if t == nil {
		t = &tally{}
		ts[id] = t
	}
	t.bump = maxBump(t.bump, bump)
	t.reasons = append(t.reasons, why)
}

func describeChange(c EntityChange) string {
	return fmt.Sprintf("%s %s: %s (%s)", c.EntityType, c.EntityID, c.ChangeType, c.Bump)
}

// moduleTallies bumps each module for its own change, the changes of the entities it lists
// before or after, and then the bumps of the modules it depends on, transitively.
func moduleTallies(base, head *Ontology, changes []EntityChange) tallies {
	before, after := base.analysis(), head.analysis()
	modules := tallies{}
	for _, c := range changes {
		k := ontology.Kind(c.EntityType).Index()
		if k == kModule {
			modules.note(c.EntityID, c.Bump, describeChange(c))
		}
		for _, m := range union(before.membersByID(k, c.EntityID), after.membersByID(k, c.EntityID)) {
			modules.note(m, c.Bump, describeChange(c))
		}
	}
	direct := map[string]string{}
	for id, t := range modules {
		direct[id] = t.bump
	}
	bumped := slices.Sorted(maps.Keys(direct))
	for _, m := range slices.Sorted(maps.Keys(after.scopes)) {
		for _, dep := range bumped {
			if dep != m && after.scopes[m][dep] {
				modules.note(m, direct[dep], fmt.Sprintf("dependency %s: %s", dep, direct[dep]))
			}
		}
	}
	return modules
}

// bundleTallies bumps each bundle for its own change and the bumps of the modules it lists
// before or after.
func bundleTallies(base, head *Ontology, changes []EntityChange, modules tallies) tallies {
	bundles := tallies{}
	for _, c := range changes {
		if c.EntityType == string(ontology.KindBundle) {
			bundles.note(c.EntityID, c.Bump, describeChange(c))
		}
	}
	for _, o := range []*Ontology{base, head} {
		o.each(kBundle, func(b *entity) {
			for _, r := range b.refs {
				if t := modules[r.id]; r.field == "modules" && t != nil {
					bundles.note(b.id, t.bump, fmt.Sprintf("module %s: %s", r.id, t.bump))
				}
			}
		})
	}
	return bundles
}

// entityAdvice is the advice for one module or bundle.
func entityAdvice(kind, id string, before, after *entity, bump string, reasons []string) VersionAdvice {
	a := VersionAdvice{Kind: kind, ID: id, Bump: bump, Reasons: reasons}
	switch {
	case after == nil:
		if before != nil {
			a.CurrentVersion = before.version
		}
		a.Reasons = append(a.Reasons, fmt.Sprintf("%s deleted: no next version", kind))
	case before == nil:
		declared := after.version
		if _, ok := parseSemver(declared); ok {
			a.SuggestedVersion = declared
			a.Reasons = append(a.Reasons, fmt.Sprintf("new %s: its first version is the one it declares", kind))
		} else {
			a.Reasons = append(a.Reasons, fmt.Sprintf("new %s declares no semver version", kind))
		}
	default:
		a.CurrentVersion = before.version
		a.SuggestedVersion, a.Reasons = suggest(before.version, bump, fmt.Sprintf("%s has no version", kind), a.Reasons)
	}
	return a
}

// suggest bumps current, or explains in a reason why there is no suggestion.
func suggest(current, bump, missing string, reasons []string) (string, []string) {
	if current == "" {
		return "", append(reasons, missing+": no suggestion")
	}
	v, ok := parseSemver(current)
	if !ok {
		return "", append(reasons, fmt.Sprintf("current version %q is not semver: no suggestion", current))
	}
	return v.bumped(bump).String(), reasons
}

// union merges two sorted id lists.
func union(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// uniqueStrings drops repeats, keeping the first of each.
func uniqueStrings(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
