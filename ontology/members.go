package ontology

// MemberKind says which members of a category a computation is about.
type MemberKind int

const (
	// Properties selects the properties a category lists.
	Properties MemberKind = iota
	// Subobjects selects the subobjects a category lists.
	Subobjects
)

// list returns the members of c of this kind.
func (k MemberKind) list(c Category) []Member {
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
func (g *Graph) Members(id string, kind MemberKind) []EffectiveMember {
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
