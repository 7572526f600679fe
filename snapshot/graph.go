package snapshot

import (
	"slices"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ontology"
)

// categoryGraph is the inheritance graph of one snapshot with its inverse computed once: for
// each property and subobject, the categories that have it (used-by). A category's own graph
// answer is computed on request from the graph; it touches only that category's ancestors and
// descendants.
type categoryGraph struct {
	graph *ontology.Graph
	// ids are the categories in id order; a use refers to them by position.
	ids []string
	// usedBy holds, by ontology.MemberKind and member id, the categories that have the member,
	// in category id order.
	usedBy [2]map[string][]use
	// subobjectUsers holds, by property id, the subobjects that list the property.
	subobjectUsers map[string][]ontology.Use
	// cyclic reports whether any inheritance cycle exists; without one, no request looks for one.
	cyclic bool
}

// use is one category that has a member: 12 bytes, since there is one per category and
// inherited member, the bulk of a large ontology's graph.
type use struct {
	category uint32 // position in ids
	via      uint32 // position of the category whose list gives the member
	required bool
}

func newCategoryGraph(s *Snapshot) *categoryGraph {
	categories := s.Entities(ontology.KindCategory)
	parsed := make([]ontology.Category, len(categories))
	g := &categoryGraph{
		ids:            make([]string, len(categories)),
		usedBy:         [2]map[string][]use{{}, {}},
		subobjectUsers: map[string][]ontology.Use{},
	}
	for i, e := range categories {
		parsed[i] = ontology.ParseCategory(e.ID, e.Def)
		g.ids[i] = e.ID
	}
	g.graph = ontology.NewGraph(parsed)
	l := newLinks(parsed)
	order, placed := topologicalOrder(l)
	g.cyclic = placed < len(parsed)
	for kind := range g.usedBy {
		g.usedBy[kind] = inheritedUses(l, parsed, order[:placed], ontology.MemberKind(kind))
	}
	if g.cyclic {
		g.addCyclicUses(parsed, order[placed:])
	}
	for _, e := range s.Entities(ontology.KindSubobject) {
		for _, p := range ontology.ParseSubobject(e.ID, e.Def).Properties {
			g.subobjectUsers[p.ID] = append(g.subobjectUsers[p.ID], ontology.Use{ID: e.ID, Direct: true, Via: e.ID, Required: p.Required})
		}
	}
	return g
}

// links is the inheritance graph by position: parents and children of each category, existing
// ones only, parents in file order.
type links struct {
	parents, children [][]int32
}

func newLinks(categories []ontology.Category) links {
	position := make(map[string]int32, len(categories))
	for i, c := range categories {
		position[c.ID] = int32(i)
	}
	l := links{parents: make([][]int32, len(categories)), children: make([][]int32, len(categories))}
	for i, c := range categories {
		for _, p := range c.Parents {
			if j, ok := position[p]; ok && !slices.Contains(l.parents[i], j) {
				l.parents[i] = append(l.parents[i], j)
				l.children[j] = append(l.children[j], int32(i))
			}
		}
	}
	return l
}

// topologicalOrder sorts the categories (by position) parents first (Kahn). Categories on or
// below an inheritance cycle cannot be placed: they come last, and placed says how many were.
func topologicalOrder(l links) (order []int32, placed int) {
	pending := make([]int, len(l.parents))
	var ready []int32
	for i, parents := range l.parents {
		pending[i] = len(parents)
		if pending[i] == 0 {
			ready = append(ready, int32(i))
		}
	}
	done := make([]bool, len(l.parents))
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		order = append(order, i)
		done[i] = true
		for _, j := range l.children[i] {
			if pending[j]--; pending[j] == 0 {
				ready = append(ready, j)
			}
		}
	}
	placed = len(order)
	for i := range l.parents {
		if !done[i] {
			order = append(order, int32(i))
		}
	}
	return order, placed
}

// inherited is what one category has of one member: at which distance, from which category
// (position), required or not. stamp says which member's pass wrote it, so the slice of entries
// is reused across members without being cleared.
type inherited struct {
	stamp    int32
	depth    int32
	via      uint32
	required bool
}

// inheritedUses computes, for every member, the categories that have it, with the same answer
// ontology.Graph.Members gives for each category — nearest declarer wins; at equal distance
// required wins, and the first declarer in breadth-first order (parents in file order) is the
// source — but in one pass per member over the categories below its declarers, parents first,
// instead of one walk over the ancestors of every category. A category's entry follows from its
// parents' entries: the nearest ones, the first of them in parent order, or the first required
// one among them. order holds the acyclic categories, parents first.
func inheritedUses(l links, categories []ontology.Category, order []int32, kind ontology.MemberKind) map[string][]use {
	rank := make([]int32, len(categories))
	for i := range rank {
		rank[i] = -1 // not placed: on or below a cycle
	}
	for r, i := range order {
		rank[i] = int32(r)
	}
	// Who declares each member, and whether as required.
	type declaration struct {
		category int32
		required bool
	}
	declared := map[string][]declaration{}
	for _, i := range order {
		for _, m := range memberList(categories[i], kind) {
			declared[m.ID] = append(declared[m.ID], declaration{i, m.Required})
		}
	}
	out := make(map[string][]use, len(declared))
	entries := make([]inherited, len(categories))
	var stamp int32
	var reached []int32
	for member, declarations := range declared {
		stamp++
		reached = reached[:0]
		// Every category below a declarer has the member; a declarer's own entry is its own.
		for _, d := range declarations {
			entries[d.category] = inherited{stamp: stamp, depth: 0, via: uint32(d.category), required: d.required}
			reached = append(reached, d.category)
		}
		for next := 0; next < len(reached); next++ {
			for _, j := range l.children[reached[next]] {
				if entries[j].stamp != stamp && rank[j] >= 0 {
					entries[j] = inherited{stamp: stamp, depth: -1}
					reached = append(reached, j)
				}
			}
		}
		slices.SortFunc(reached, func(a, b int32) int { return int(rank[a] - rank[b]) })
		for _, i := range reached {
			if entries[i].depth < 0 {
				entries[i] = fromParents(l.parents[i], entries, stamp)
			}
		}
		uses := make([]use, len(reached))
		for k, i := range reached {
			uses[k] = use{category: uint32(i), via: entries[i].via, required: entries[i].required}
		}
		slices.SortFunc(uses, func(a, b use) int { return int(a.category) - int(b.category) })
		out[member] = uses
	}
	return out
}

// fromParents derives a category's entry for a member from its parents' entries of this pass.
func fromParents(parents []int32, entries []inherited, stamp int32) inherited {
	best := inherited{stamp: stamp, depth: -1}
	for _, p := range parents {
		e := entries[p]
		if e.stamp != stamp || e.depth < 0 {
			continue
		}
		switch d := e.depth + 1; {
		case best.depth < 0 || d < best.depth:
			best = inherited{stamp: stamp, depth: d, via: e.via, required: e.required}
		case d == best.depth && e.required && !best.required:
			best.via, best.required = e.via, true
		}
	}
	return best
}

func memberList(c ontology.Category, kind ontology.MemberKind) []ontology.Member {
	if kind == ontology.Subobjects {
		return c.Subobjects
	}
	return c.Properties
}

// addCyclicUses adds the uses of the categories on or below a cycle, which have no place in a
// parents-first order: walked one by one, the way a category's graph answer is.
func (g *categoryGraph) addCyclicUses(categories []ontology.Category, unplaced []int32) {
	position := make(map[string]int, len(categories))
	for i, c := range categories {
		position[c.ID] = i
	}
	for kind := range g.usedBy {
		for _, i := range unplaced {
			for _, m := range g.graph.Members(categories[i].ID, ontology.MemberKind(kind)) {
				g.usedBy[kind][m.ID] = append(g.usedBy[kind][m.ID], use{category: uint32(i), via: uint32(position[m.Source]), required: m.Required})
			}
		}
		for id, uses := range g.usedBy[kind] {
			slices.SortFunc(uses, func(a, b use) int { return int(a.category) - int(b.category) })
			g.usedBy[kind][id] = uses
		}
	}
}

// CategoryGraph returns the graph answer of a live category: its ancestors and descendants and
// its effective properties and subobjects.
func (s *Snapshot) CategoryGraph(id string) (gen.CategoryGraph, bool) {
	g := s.graph
	category, ok := g.graph.Category(id)
	if !ok {
		return gen.CategoryGraph{}, false
	}
	body := gen.CategoryGraph{
		Category:    s.ref(ontology.KindCategory, id),
		Parents:     nonNil(category.Parents),
		Ancestors:   s.graphNodes(g.graph.Ancestors(id)),
		Descendants: s.graphNodes(g.graph.Descendants(id)),
		Properties:  s.graphMembers(ontology.KindProperty, g.graph.Members(id, ontology.Properties)),
		Subobjects:  s.graphMembers(ontology.KindSubobject, g.graph.Members(id, ontology.Subobjects)),
		Cycles:      [][]string{},
	}
	if g.cyclic {
		if cycles := g.graph.Cycles(id); cycles != nil {
			body.Cycles = cycles
		}
	}
	return body, true
}

// UsedBy returns the used-by answer of a live property or subobject.
func (s *Snapshot) UsedBy(kind ontology.Kind, id string) (gen.UsedBy, bool) {
	e, ok := s.Entity(kind, id)
	if !ok || kind != ontology.KindProperty && kind != ontology.KindSubobject {
		return gen.UsedBy{}, false
	}
	member := ontology.Properties
	if kind == ontology.KindSubobject {
		member = ontology.Subobjects
	}
	categories := s.Entities(ontology.KindCategory)
	uses := s.graph.usedBy[member][id]
	body := gen.UsedBy{
		Entity:     e.Ref(),
		Categories: make([]gen.UsedByEntry, len(uses)),
		Subobjects: []gen.UsedByEntry{},
	}
	for i, u := range uses {
		c := categories[u.category]
		required := u.required
		body.Categories[i] = gen.UsedByEntry{EntityId: c.ID, Label: c.Label, Direct: u.via == u.category,
			Via: categories[u.via].ID, Required: &required}
	}
	if kind == ontology.KindProperty {
		body.Subobjects = s.usedByEntries(ontology.KindSubobject, s.graph.subobjectUsers[id])
	}
	return body, true
}

func (s *Snapshot) usedByEntries(kind ontology.Kind, uses []ontology.Use) []gen.UsedByEntry {
	out := make([]gen.UsedByEntry, len(uses))
	for i, u := range uses {
		label, _ := s.Label(kind, u.ID)
		out[i] = gen.UsedByEntry{EntityId: u.ID, Label: label, Direct: u.Direct, Via: u.Via, Required: &uses[i].Required}
	}
	return out
}

// ref refers to an entity, flagged missing when it does not exist.
func (s *Snapshot) ref(kind ontology.Kind, id string) gen.EntityRef {
	label, ok := s.Label(kind, id)
	if !ok {
		return gen.EntityRef{EntityId: id, Missing: true}
	}
	return gen.EntityRef{EntityId: id, Label: &label}
}

func (s *Snapshot) graphNodes(nodes []ontology.Node) []gen.GraphNode {
	out := make([]gen.GraphNode, len(nodes))
	for i, n := range nodes {
		ref := s.ref(ontology.KindCategory, n.ID)
		out[i] = gen.GraphNode{EntityId: n.ID, Label: ref.Label, Missing: ref.Missing, Depth: n.Depth, Parents: nonNil(n.Parents)}
	}
	return out
}

func (s *Snapshot) graphMembers(kind ontology.Kind, members []ontology.EffectiveMember) []gen.GraphMember {
	out := make([]gen.GraphMember, len(members))
	for i, m := range members {
		ref := s.ref(kind, m.ID)
		out[i] = gen.GraphMember{EntityId: m.ID, Label: ref.Label, Missing: ref.Missing, Required: m.Required,
			SourceCategory: m.Source, Inherited: m.Inherited()}
	}
	return out
}

// nonNil makes an absent list encode as [] rather than null, as the contract requires.
func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
