package ontology

import (
	"slices"
	"strings"
)

// Graph is the inheritance graph of a set of categories (the live ones, in the service). Every
// walk over it keeps a visited set, so cycles in bad data are reported, never followed forever.
type Graph struct {
	categories map[string]Category
	// children maps a category id to the ids of the categories naming it as a parent, sorted.
	children map[string][]string
}

// NewGraph builds the graph of categories. When two categories share an id the last one wins.
func NewGraph(categories []Category) *Graph {
	g := &Graph{categories: make(map[string]Category, len(categories)), children: map[string][]string{}}
	for _, c := range categories {
		g.categories[c.ID] = c
	}
	for id, c := range g.categories {
		for _, parent := range c.Parents {
			g.children[parent] = append(g.children[parent], id)
		}
	}
	for _, kids := range g.children {
		slices.Sort(kids)
	}
	return g
}

// Category returns the category with the given id and reports whether it exists.
func (g *Graph) Category(id string) (Category, bool) {
	c, ok := g.categories[id]
	return c, ok
}

// Node is a category reached while walking the graph from another one.
type Node struct {
	// ID is the category's id.
	ID string
	// Depth is the shortest number of inheritance steps from the starting category.
	Depth int
	// Parents are the node's own direct parents (none when it is missing).
	Parents []string
	// Missing is true when a category names it as a parent but it does not exist.
	Missing bool
}

// Ancestors returns every ancestor of id, breadth-first (nearest first, parents in file order),
// each once. A parent that does not exist is included, flagged Missing, and not walked further.
// The category itself is never its own ancestor, even inside a cycle.
func (g *Graph) Ancestors(id string) []Node {
	return g.walk(id, func(c Category) []string { return c.Parents })
}

// Descendants returns every descendant of id, breadth-first (nearest first, siblings by id), each
// once. The category itself is never its own descendant, even inside a cycle.
func (g *Graph) Descendants(id string) []Node {
	return g.walk(id, func(c Category) []string { return g.children[c.ID] })
}

// walk is a breadth-first search from id along next, excluding id itself.
func (g *Graph) walk(id string, next func(Category) []string) []Node {
	start, ok := g.categories[id]
	if !ok {
		return nil
	}
	visited := map[string]bool{id: true}
	var out []Node
	frontier := []Category{start}
	for depth := 1; len(frontier) > 0; depth++ {
		var following []Category
		for _, c := range frontier {
			for _, nextID := range next(c) {
				if visited[nextID] {
					continue
				}
				visited[nextID] = true
				nc, exists := g.categories[nextID]
				out = append(out, Node{ID: nextID, Depth: depth, Parents: slices.Clone(nc.Parents), Missing: !exists})
				if exists {
					following = append(following, nc)
				}
			}
		}
		frontier = following
	}
	return out
}

// Cycles returns the inheritance cycles met while walking up and down from id, each as a closed
// path of ids in the parent direction (every id's next one is one of its parents), starting at
// its smallest id and ending where it started: a category that is its own parent gives [A A],
// A → B → A gives [A B A]. Each cycle is reported once; the list is sorted.
func (g *Graph) Cycles(id string) [][]string {
	if _, ok := g.categories[id]; !ok {
		return nil
	}
	found := map[string][]string{}
	record := func(path []string) {
		path = canonicalCycle(path)
		found[strings.Join(path, "\x00")] = path
	}
	g.findCycles(id, func(c Category) []string { return c.Parents }, record)
	g.findCycles(id, func(c Category) []string { return g.children[c.ID] }, func(path []string) {
		// Walking down follows the edges backwards.
		slices.Reverse(path)
		record(path)
	})
	keys := make([]string, 0, len(found))
	for key := range found {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	out := make([][]string, 0, len(keys))
	for _, key := range keys {
		out = append(out, found[key])
	}
	return out
}

// findCycles is a depth-first search from id along next that calls record with the closed path
// of every back edge it meets. Each category is entered once, so it ends on any graph.
func (g *Graph) findCycles(id string, next func(Category) []string, record func([]string)) {
	const (
		onPath = 1
		done   = 2
	)
	state := map[string]int{}
	var path []string
	var visit func(string)
	visit = func(current string) {
		c, ok := g.categories[current]
		if !ok {
			return
		}
		state[current] = onPath
		path = append(path, current)
		for _, nextID := range next(c) {
			switch state[nextID] {
			case onPath:
				start := slices.Index(path, nextID)
				record(append(slices.Clone(path[start:]), nextID))
			case 0:
				visit(nextID)
			}
		}
		path = path[:len(path)-1]
		state[current] = done
	}
	visit(id)
}

// canonicalCycle rotates a closed path so that it starts (and ends) at its smallest id.
func canonicalCycle(path []string) []string {
	open := path[:len(path)-1]
	smallest := 0
	for i, id := range open {
		if id < open[smallest] {
			smallest = i
		}
	}
	out := make([]string, 0, len(path))
	out = append(out, open[smallest:]...)
	out = append(out, open[:smallest]...)
	return append(out, open[smallest])
}

// Children returns the categories that list id as a parent, in id order. The slice is shared:
// do not modify it.
func (g *Graph) Children(id string) []string { return g.children[id] }
