package main

import (
	"fmt"
	"slices"
	"strings"
)

// sizes are how many entities of each kind an ontology gets: about five entities per category
// in all, as in the brief (5,000 categories → about 25,000 entities).
type sizes struct {
	categories, roots, modules, properties, subobjects int
	templates, bundles, dashboards, resources          int
}

func sizesFor(n int) sizes {
	modules := max(2, n/100)
	return sizes{
		categories: n,
		roots:      min(max(3, n/1000+2), len(rootNames)),
		modules:    modules,
		properties: 3 * n,
		subobjects: n * 3 / 5,
		templates:  max(len(coreTemplates)+modules, n/25),
		bundles:    max(1, modules/10),
		dashboards: max(1, modules/2),
		resources:  n * 7 / 20,
	}
}

// depthWeights are the relative frequencies of category depths 1 to 9 outside Core: most
// categories sit three to five levels below a root.
var depthWeights = []int{5, 12, 20, 22, 17, 11, 7, 4, 2}

// coreDepthWeights are those of Core, which holds the roots and the levels just below them.
var coreDepthWeights = []int{60, 40}

// buildModules creates the modules with their dependencies, a DAG in index order: Core first,
// then a foundation layer depending on Core, then modules depending on one foundation module
// and on up to two recent ones.
func (g *generator) buildModules(s sizes) {
	foundation := max(1, s.modules/10)
	for i := range s.modules {
		id := g.moduleName(i)
		m := module{
			id:      id,
			label:   labelOf(id),
			version: fmt.Sprintf("%d.%d.%d", 1+g.rng.IntN(2), g.rng.IntN(10), g.rng.IntN(5)),
			inScope: make([]bool, s.modules),
		}
		if i > 0 {
			m.deps = g.dependencies(i, foundation)
		}
		m.inScope[i] = true
		for _, d := range m.deps {
			for _, x := range g.o.modules[d].scope {
				m.inScope[x] = true
			}
		}
		for x, in := range m.inScope {
			if in {
				m.scope = append(m.scope, x)
			}
		}
		g.o.modules = append(g.o.modules, m)
	}
}

func (g *generator) moduleName(i int) string {
	switch {
	case i == 0:
		g.take("module", "Core")
		return "Core"
	case i <= len(areas) && g.take("module", areas[i-1]):
		return areas[i-1]
	}
	return g.uniqueName("module", func() string {
		return capitalize(pick(g.rng, modifiers)) + "_" + strings.ToLower(pick(g.rng, areas))
	})
}

// dependencies picks the modules module i depends on, all of them before i.
func (g *generator) dependencies(i, foundation int) []int {
	var deps []int
	if i <= foundation {
		deps = append(deps, 0)
	} else {
		deps = append(deps, g.rng.IntN(foundation+1))
	}
	more := 0
	switch r := g.rng.Float64(); {
	case r < 0.15:
		more = 2
	case r < 0.5:
		more = 1
	}
	for range more * 3 {
		if len(deps) > more {
			break
		}
		d := max(0, i-8) + g.rng.IntN(min(8, i))
		if !slices.Contains(deps, d) {
			deps = append(deps, d)
		}
	}
	slices.Sort(deps)
	return deps
}

// moduleSizes splits the categories among the modules: Core gets the roots and a few levels
// below them, the others a share each of the rest, between 0.4 and 2 times the average.
func (g *generator) moduleSizes(s sizes) []int {
	out := make([]int, s.modules)
	out[0] = min(max(s.roots*4, s.categories/50), s.categories/2)
	rest := s.categories - out[0]
	weights := make([]float64, s.modules)
	total := 0.0
	for i := 1; i < s.modules; i++ {
		weights[i] = 0.4 + 1.6*g.rng.Float64()
		total += weights[i]
	}
	given := 0
	for i := 1; i < s.modules; i++ {
		out[i] = max(1, int(float64(rest)*weights[i]/total))
		given += out[i]
	}
	// Rounding leaves a few over or under; the modules after Core absorb them in turn.
	for i := 1; given != rest; i = i%(s.modules-1) + 1 {
		switch {
		case given < rest:
			out[i]++
			given++
		case out[i] > 1:
			out[i]--
			given--
		}
	}
	return out
}

// buildCategories creates the categories module by module, so the index order is a
// topological order of the inheritance graph: every parent comes before its children.
func (g *generator) buildCategories(s sizes) {
	for mi, count := range g.moduleSizes(s) {
		for k := range count {
			if mi == 0 && k < s.roots {
				g.addCategory(mi, rootNames[k], nil)
				continue
			}
			g.addChild(mi)
		}
	}
}

// addChild creates a category below one parent at a drawn depth, and sometimes one or two more
// parents no deeper than the first, so the depth stays what was drawn.
func (g *generator) addChild(mi int) {
	weights := depthWeights
	if mi == 0 {
		weights = coreDepthWeights
	}
	target := 1 + g.weighted(weights)
	primary := none
	for d := target - 1; d >= 0 && primary == none; d-- {
		primary = g.parentAt(mi, d)
	}
	parents := []int{primary}
	depth := g.o.categories[primary].depth + 1
	extra := 0
	switch r := g.rng.Float64(); {
	case r < 0.04:
		extra = 2
	case r < 0.19:
		extra = 1
	}
	for range extra {
		for range 10 {
			c := g.parentAt(mi, depth-1-g.rng.IntN(min(3, depth)))
			if c != none && !g.related(c, parents) {
				parents = append(parents, c)
				break
			}
		}
	}
	g.addCategory(mi, g.childName(primary), parents)
}

// weighted draws an index with the given relative weights.
func (g *generator) weighted(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	r := g.rng.IntN(total)
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	return len(weights) - 1
}

// parentAt picks a category at depth d that a category of module mi may inherit from: mostly
// one of its own module, else one anywhere in its scope; none when there is none.
func (g *generator) parentAt(mi, d int) int {
	m := &g.o.modules[mi]
	if d < len(m.byDepth) && len(m.byDepth[d]) > 0 && chance(g.rng, 0.75) {
		return pick(g.rng, m.byDepth[d])
	}
	total := 0
	for _, s := range m.scope {
		if byDepth := g.o.modules[s].byDepth; d < len(byDepth) {
			total += len(byDepth[d])
		}
	}
	if total == 0 {
		return none
	}
	r := g.rng.IntN(total)
	for _, s := range m.scope {
		if byDepth := g.o.modules[s].byDepth; d < len(byDepth) {
			if r < len(byDepth[d]) {
				return byDepth[d][r]
			}
			r -= len(byDepth[d])
		}
	}
	return none
}

// related reports whether c is one of parents or an ancestor or descendant of one: a second
// parent that is would add nothing or close a cycle.
func (g *generator) related(c int, parents []int) bool {
	for _, p := range parents {
		if p == c || isAncestor(g.o.categories[p].ancestors, c) || isAncestor(g.o.categories[c].ancestors, p) {
			return true
		}
	}
	return false
}

func isAncestor(ancestors []int, c int) bool {
	_, found := slices.BinarySearch(ancestors, c)
	return found
}

// childName names a child of primary: mostly a qualified form of the parent's head noun
// ("Frozen_sample" below "Sample"), sometimes a new head noun ("Microscope" below "Instrument").
func (g *generator) childName(primary int) string {
	head := g.o.categories[primary].head
	if chance(g.rng, 0.35) {
		try := 0
		return g.uniqueName("category", func() string {
			try++
			noun := pick(g.rng, nouns)
			if try == 1 {
				return capitalize(noun)
			}
			return capitalize(pick(g.rng, modifiers)) + "_" + noun
		})
	}
	try := 0
	return g.uniqueName("category", func() string {
		try++
		if try <= 3 {
			return capitalize(pick(g.rng, modifiers)) + "_" + head
		}
		return capitalize(pick(g.rng, modifiers)) + "_" + pick(g.rng, nouns) + "_" + head
	})
}

// addCategory appends a category with its parents (already checked) to module mi.
func (g *generator) addCategory(mi int, id string, parents []int) {
	if parents == nil {
		g.take("category", id)
	}
	c := category{id: id, label: labelOf(id), head: lastWord(id), module: mi, parents: parents}
	// A suffix such as "_b" is not a noun to name children after.
	if len(c.head) <= 2 && strings.Contains(id, "_") {
		c.head = g.o.categories[parents[0]].head
	}
	for _, p := range parents {
		parent := g.o.categories[p]
		c.depth = max(c.depth, parent.depth+1)
		c.ancestors = append(c.ancestors, p)
		c.ancestors = append(c.ancestors, parent.ancestors...)
	}
	slices.Sort(c.ancestors)
	c.ancestors = slices.Compact(c.ancestors)
	c.description = g.categoryDescription(c)
	index := len(g.o.categories)
	g.o.categories = append(g.o.categories, c)
	m := &g.o.modules[mi]
	m.categories = append(m.categories, index)
	for len(m.byDepth) <= c.depth {
		m.byDepth = append(m.byDepth, nil)
	}
	m.byDepth[c.depth] = append(m.byDepth[c.depth], index)
}

func (g *generator) categoryDescription(c category) string {
	name := strings.ToLower(c.label)
	if len(c.parents) == 0 {
		return fmt.Sprintf("Any %s described in the wiki: the most general category of its kind", name)
	}
	parent := strings.ToLower(g.o.categories[c.parents[0]].label)
	area := strings.ToLower(g.o.modules[c.module].label)
	var d string
	switch g.rng.IntN(4) {
	case 0:
		d = fmt.Sprintf("%s %s is a kind of %s used in %s", capitalize(article(name)), name, parent, area)
	case 1:
		d = fmt.Sprintf("%s: %s %s recorded for %s work", capitalize(name), article(parent), parent, area)
	case 2:
		d = fmt.Sprintf("Describes each %s, a specialised %s", name, parent)
	default:
		d = fmt.Sprintf("%s %s, which is %s %s; part of the %s module", capitalize(article(name)), name, article(parent), parent, area)
	}
	if len(c.parents) > 1 {
		other := strings.ToLower(g.o.categories[c.parents[1]].label)
		d += fmt.Sprintf(", and also %s %s", article(other), other)
	}
	return d
}

// describeModules writes each module's description once its categories exist.
func (g *generator) describeModules() {
	for i := range g.o.modules {
		m := &g.o.modules[i]
		var names []string
		for _, c := range m.categories[:min(3, len(m.categories))] {
			names = append(names, strings.ToLower(g.o.categories[c].label))
		}
		if i == 0 {
			m.description = "Essential entities for any wiki: " + strings.Join(names, ", ") + " and the properties everything has"
			continue
		}
		m.description = fmt.Sprintf("Entities for %s: %s and related categories, properties and subobjects",
			strings.ToLower(m.label), strings.Join(names, ", "))
	}
}
