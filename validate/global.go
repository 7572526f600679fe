package validate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ontohub/ontohub/checkout"
	"github.com/ontohub/ontohub/ontology"
)

// orphanKinds are the kinds a module lists, whose entities are expected to be in one: the
// repository's CI warns about categories, properties, subobjects, templates, dashboards and
// resources that no module lists (modules and bundles organize, they are not organized).
var orphanKinds = []int{kCategory, kProperty, kSubobject, kTemplate, kDashboard, kResource}

// analyze runs the checks across entities and gathers every finding. On an overlay it reuses
// what the changes cannot have altered: module scopes when no module changed, membership
// (patched for the entities changed modules list), cycles of kinds nothing changed in.
func (o *Ontology) analyze() *analysis {
	a := &analysis{}
	base := o.base
	switch {
	case base == nil:
		a.members = o.membership()
	case o.repo.older && (o.changed(kModule) || o.changed(kCategory) || o.changed(kSubobject)):
		// The older layout derives membership from categories and subobjects too; its
		// repositories are small, so it is simply recomputed.
		a.members = o.membership()
	default:
		a.members, a.canonicalMembers = base.result.members, true
		if o.changed(kModule) {
			a.delta = o.membershipDelta()
		}
	}
	if base != nil && !o.changed(kModule) {
		a.scopes = base.result.scopes
	} else {
		a.scopes = o.moduleScopes()
	}

	fs := slices.Clone(o.repo.findings)
	fs = append(fs, o.extra...)
	for k := range numKinds {
		o.each(k, func(e *entity) {
			fs = append(fs, e.local...)
			if !e.broken {
				fs = o.referenceFindings(e, a, fs)
			}
		})
	}
	for i, g := range cycleGraphs {
		if base != nil && !o.changed(g.kind) {
			a.cycles[i] = base.result.cycles[i]
		} else {
			a.cycles[i] = o.cycleFindings(g.kind, g.fields, g.code, g.label)
		}
		fs = append(fs, a.cycles[i]...)
	}
	for _, k := range orphanKinds {
		o.each(k, func(e *entity) {
			if !e.broken && len(a.memberOf(e)) == 0 {
				fs = append(fs, Finding{Severity: SeverityWarning, Code: CodeOrphan, EntityType: string(ontology.Kinds[k]), EntityID: e.id,
					File: e.file, Message: fmt.Sprintf("%s %q is not listed by any module", ontology.Kinds[k], e.id)})
			}
		})
	}
	fs = append(fs, o.duplicateFindings()...)
	a.findings = sortFindings(fs)
	return a
}

// cycleGraphs are the graphs that must have no cycle.
var cycleGraphs = [3]struct {
	kind   int
	fields []string
	code   string
	label  string
}{
	{kCategory, []string{"parents", "parent"}, CodeInheritanceCycle, "category inheritance"},
	{kProperty, []string{"parent_property"}, CodePropertyCycle, "parent_property"},
	{kModule, []string{"dependencies"}, CodeDependencyCycle, "module dependency"},
}

// memberOf returns the modules entity e belongs to.
func (a *analysis) memberOf(e *entity) []string {
	if a.delta != nil {
		if m, ok := a.delta[e.kind][e.id]; ok {
			return m
		}
	}
	if a.canonicalMembers && e.membersKnown {
		return e.members
	}
	return a.members[e.kind][e.id]
}

// membersByID is memberOf for an entity known by kind and id only.
func (a *analysis) membersByID(k int, id string) []string {
	if a.delta != nil {
		if m, ok := a.delta[k][id]; ok {
			return m
		}
	}
	return a.members[k][id]
}

// referenceFindings checks that e's references resolve and stay within its modules' scope.
// Self-references are the local check's; a reference to a broken file counts as resolved (its
// problem is reported) but is not scope-checked (its membership is unknown).
func (o *Ontology) referenceFindings(e *entity, a *analysis, fs []Finding) []Finding {
	var own []string
	if e.kind != kModule && e.kind != kBundle {
		own = a.memberOf(e)
	}
	for i := range e.refs {
		r := &e.refs[i]
		if r.target == e.kind && r.id == e.id {
			continue
		}
		t := o.resolve(r)
		if t == nil {
			fs = append(fs, Finding{Severity: SeverityError, Code: CodeUnresolvedReference, EntityType: string(ontology.Kinds[e.kind]), EntityID: e.id,
				File: e.file, Path: r.pointer, Message: fmt.Sprintf("%s: %s %q does not exist", r.field, ontology.Kinds[r.target], r.id)})
			continue
		}
		if len(own) == 0 || t.broken || r.target == kModule {
			continue
		}
		theirs := a.memberOf(t)
		if len(theirs) == 0 || inScope(own, theirs, a.scopes) {
			continue
		}
		fs = append(fs, Finding{Severity: SeverityError, Code: CodeModuleScope, EntityType: string(ontology.Kinds[e.kind]), EntityID: e.id,
			File: e.file, Path: r.pointer,
			Message: fmt.Sprintf("%s: %s %q belongs to %s, which is not %s or among its dependencies",
				r.field, ontology.Kinds[r.target], r.id, moduleNames(theirs), moduleNames(own))})
	}
	return fs
}

// inScope reports whether some module of the referring entity may see some module of the
// referenced one. An entity may be listed by several modules; any of them grants the reference.
func inScope(own, theirs []string, scopes map[string]map[string]bool) bool {
	for _, m := range own {
		for _, t := range theirs {
			if scopes[m][t] {
				return true
			}
		}
	}
	return false
}

func moduleNames(ids []string) string {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = fmt.Sprintf("%q", id)
	}
	if len(ids) == 1 {
		return "module " + quoted[0]
	}
	return "modules " + strings.Join(quoted, ", ")
}

// membership maps every entity a module lists to the modules listing it. In the older layout,
// whose modules list only categories, a module also owns the properties and subobjects its
// categories list and the properties of those subobjects.
func (o *Ontology) membership() []map[string][]string {
	members := newKindMaps[[]string]()
	add := func(k int, id, module string) {
		list := members[k][id]
		if !slices.Contains(list, module) {
			members[k][id] = append(list, module)
		}
	}
	o.each(kModule, func(m *entity) {
		if m.broken {
			return
		}
		var subobjects []string
		for _, r := range m.refs {
			if r.field == "dependencies" {
				continue
			}
			add(r.target, r.id, m.id)
			if !o.repo.older {
				continue
			}
			switch r.target {
			case kSubobject:
				subobjects = append(subobjects, r.id)
			case kCategory:
				c := o.get(kCategory, r.id)
				if c == nil || c.broken {
					continue
				}
				for _, cr := range c.refs {
					if cr.target == kProperty || cr.target == kSubobject {
						add(cr.target, cr.id, m.id)
					}
					if cr.target == kSubobject {
						subobjects = append(subobjects, cr.id)
					}
				}
			}
		}
		for _, id := range subobjects {
			if s := o.get(kSubobject, id); s != nil && !s.broken {
				for _, sr := range s.refs {
					add(sr.target, sr.id, m.id)
				}
			}
		}
	})
	for k := range members {
		for id, list := range members[k] {
			if len(list) > 1 {
				slices.Sort(members[k][id])
			}
		}
	}
	return members
}

// membershipDelta computes, for an overlay that changes modules (newer layout), the
// membership of every entity a changed module lists before or after the change: the prepared
// ontology's, without the changed modules, plus those that list it now.
func (o *Ontology) membershipDelta() []map[string][]string {
	canonical := o.base.result.members
	changedModules := slices.Sorted(maps.Keys(o.entities[kModule]))
	lists := map[string]map[changeTarget]bool{}
	affected := map[changeTarget]bool{}
	for _, id := range changedModules {
		for _, m := range []*entity{o.base.entities[kModule][id], o.entities[kModule][id]} {
			if m == nil {
				continue
			}
			for _, r := range m.refs {
				if r.field != "dependencies" {
					affected[changeTarget{r.target, r.id}] = true
				}
			}
		}
		if m := o.entities[kModule][id]; m != nil {
			lists[id] = map[changeTarget]bool{}
			for _, r := range m.refs {
				if r.field != "dependencies" {
					lists[id][changeTarget{r.target, r.id}] = true
				}
			}
		}
	}
	delta := newKindMaps[[]string]()
	for key := range affected {
		var list []string
		for _, m := range canonical[key.kind][key.id] {
			if _, changed := o.entities[kModule][m]; !changed {
				list = append(list, m)
			}
		}
		for _, m := range changedModules {
			if lists[m][key] {
				list = append(list, m)
			}
		}
		slices.Sort(list)
		delta[key.kind][key.id] = list
	}
	return delta
}

// changeTarget is an entity by kind index and id.
type changeTarget struct {
	kind int
	id   string
}

// moduleScopes maps each module to itself and every module reachable through dependencies.
func (o *Ontology) moduleScopes() map[string]map[string]bool {
	deps := map[string][]string{}
	o.each(kModule, func(m *entity) {
		deps[m.id] = nil
		for _, r := range m.refs {
			if r.field == "dependencies" {
				deps[m.id] = append(deps[m.id], r.id)
			}
		}
	})
	scopes := make(map[string]map[string]bool, len(deps))
	for id := range deps {
		seen := map[string]bool{id: true}
		stack := []string{id}
		for len(stack) > 0 {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, d := range deps[top] {
				if _, exists := deps[d]; exists && !seen[d] {
					seen[d] = true
					stack = append(stack, d)
				}
			}
		}
		scopes[id] = seen
	}
	return scopes
}

// duplicateFindings reports entities an overlay creates whose id differs only in case or
// Unicode normalization from an existing one or from another created one (the checkout reports
// such clashes among a repository's own files).
func (o *Ontology) duplicateFindings() []Finding {
	if o.base == nil {
		return nil
	}
	var out []Finding
	for k := range numKinds {
		created := map[string]string{}
		for _, e := range o.sorted[k] {
			key := checkout.FoldID(e.id)
			other, clash := o.base.fold[k][key]
			if clash && (other == e.id || o.get(k, other) == nil) {
				clash = false
			}
			if !clash {
				other, clash = created[key]
			}
			if clash {
				out = append(out, Finding{Severity: SeverityError, Code: CodeDuplicateID, EntityType: string(ontology.Kinds[k]), EntityID: e.id,
					File: e.file, Message: fmt.Sprintf("%s id %q clashes with %q (ids of one kind must differ in more than case or Unicode normalization)", ontology.Kinds[k], e.id, other)})
				continue
			}
			created[key] = e.id
		}
	}
	return out
}
