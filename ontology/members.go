package ontology

import (
	"cmp"
	"maps"
	"slices"
)

// Kind says which members of a category a computation is about.
type Kind int

const (
	// Properties selects the properties a category lists.
	Properties Kind = iota
	// Subobjects selects the subobjects a category lists.
	Subobjects
)

// list returns the members of c of this kind.
func (k Kind) list(c Category) []Member {
	if k == Subobjects {
		return c.Subobjects
	}
	return c.Properties
}

// EffectiveMember is a property or subobject a category has, listed by itself or inherited.
type EffectiveMember struct {
	// ID is the property's or subobject's id.
	ID string
	// Required is whether the declaring category lists it as required.
	Required bool
	// Source is the declaring category: the category itself or its nearest ancestor listing it.
	Source string
	// Depth is Source's distance from the category (0 when it lists the member itself).
	Depth int
}

// Inherited reports whether the member comes from an ancestor.
func (m EffectiveMember) Inherited() bool { return m.Depth > 0 }

// Members returns every property or subobject category id has, inherited ones included, each once.
//
// The nearest declaring category wins: a category's own list overrides its ancestors', and a
// parent's overrides a grandparent's, so a child may relax a requirement (or add one). When
// declarers at the same, nearest depth disagree (multiple inheritance: one parent requires the
// member, another makes it optional), required wins and the first category requiring it (in
// breadth-first order, parents in file order) is the source; otherwise the first declarer is.
//
// The order is the category's own members in file order, then inherited ones nearest first.
// Ancestors that do not exist contribute nothing.
func (g *Graph) Members(id string, kind Kind) []EffectiveMember {
	start, ok := g.categories[id]
	if !ok {
		return nil
	}
	var out []EffectiveMember
	index := map[string]int{}
	consider := func(c Category, depth int) {
		for _, m := range kind.list(c) {
			i, seen := index[m.ID]
			if !seen {
				index[m.ID] = len(out)
				out = append(out, EffectiveMember{ID: m.ID, Required: m.Required, Source: c.ID, Depth: depth})
				continue
			}
			if out[i].Depth == depth && m.Required && !out[i].Required {
				out[i].Required, out[i].Source = true, c.ID
			}
		}
	}
	consider(start, 0)
	for _, node := range g.Ancestors(id) {
		if c, exists := g.categories[node.ID]; exists {
			consider(c, node.Depth)
		}
	}
	return out
}

// Use is a category or subobject that uses a property or subobject.
type Use struct {
	// ID is the using category's or subobject's id.
	ID string
	// Direct is true when it lists the used entity itself.
	Direct bool
	// Via is the category that lists the used entity: ID itself when Direct, else the nearest
	// ancestor listing it (the Source of Members).
	Via string
	// Required is whether Via lists it as required.
	Required bool
}

// UsedBy returns the categories that have the property or subobject memberID, directly or
// through inheritance, ordered by id. It agrees with Members: Via is the member's Source.
func (g *Graph) UsedBy(memberID string, kind Kind) []Use {
	var out []Use
	for _, id := range g.ids {
		for _, m := range g.Members(id, kind) {
			if m.ID == memberID {
				out = append(out, Use{ID: id, Direct: m.Depth == 0, Via: m.Source, Required: m.Required})
				break
			}
		}
	}
	return out
}

// SubobjectsUsing returns the subobjects that list propertyID, ordered by id. Subobjects do not
// inherit, so every use is direct.
func SubobjectsUsing(subobjects []Subobject, propertyID string) []Use {
	var out []Use
	for _, s := range subobjects {
		for _, p := range s.Properties {
			if p.ID == propertyID {
				out = append(out, Use{ID: s.ID, Direct: true, Via: s.ID, Required: p.Required})
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b Use) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// ModuleMembers is what belongs to a module, as sorted sets of ids per entity type.
type ModuleMembers struct {
	Categories []string
	Properties []string
	Subobjects []string
}

// ModuleMembers returns the entities of a module: the categories it lists that exist, every
// property and subobject those categories have (inherited ones included, see Members), the
// properties and subobjects the module lists itself (which are kept whether or not they exist;
// callers match them against live rows), and the properties of all those subobjects — a module
// that brings a subobject must bring what the subobject is made of, or it could not be used.
func (g *Graph) ModuleMembers(categoryIDs []string, own ModuleLists, subobjectDefs []Subobject) ModuleMembers {
	categories := map[string]bool{}
	properties := map[string]bool{}
	subobjects := map[string]bool{}
	for _, id := range categoryIDs {
		if _, ok := g.categories[id]; !ok || categories[id] {
			continue
		}
		categories[id] = true
		for _, m := range g.Members(id, Properties) {
			properties[m.ID] = true
		}
		for _, m := range g.Members(id, Subobjects) {
			subobjects[m.ID] = true
		}
	}
	for _, id := range own.Properties {
		properties[id] = true
	}
	for _, id := range own.Subobjects {
		subobjects[id] = true
	}
	for _, so := range subobjectDefs {
		if !subobjects[so.ID] {
			continue
		}
		for _, p := range so.Properties {
			properties[p.ID] = true
		}
	}
	return ModuleMembers{
		Categories: slices.Sorted(maps.Keys(categories)),
		Properties: slices.Sorted(maps.Keys(properties)),
		Subobjects: slices.Sorted(maps.Keys(subobjects)),
	}
}
