package validate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ontohub/ontohub/ontology"
)

// edge is a reference inside one kind's graph.
type edge struct {
	to      int
	pointer string
}

// cycleFindings finds cycles among entities of kind index k through the given fields. It
// reports one finding per strongly connected component: on the component's smallest id, with
// the shortest cycle through it, so each cycle is reported once and on the same entity however
// the files are ordered. A diamond (two parents sharing an ancestor) is not a cycle;
// self-references are the local check's.
func (o *Ontology) cycleFindings(k int, fields []string, code, label string) []Finding {
	// Only entities with an outgoing edge can lie on a cycle, which keeps the graph small for
	// kinds where such references are rare (parent_property).
	var nodes []*entity
	index := map[*entity]int{}
	o.each(k, func(e *entity) {
		if e.broken {
			return
		}
		for _, r := range e.refs {
			if r.target == k && r.id != e.id && slices.Contains(fields, r.field) {
				index[e] = len(nodes)
				nodes = append(nodes, e)
				return
			}
		}
	})
	if len(nodes) < 2 {
		return nil
	}
	adj := make([][]edge, len(nodes))
	for i, e := range nodes {
		for j := range e.refs {
			r := &e.refs[j]
			if r.target != k || r.id == e.id || !slices.Contains(fields, r.field) {
				continue
			}
			if to, ok := index[o.resolve(r)]; ok {
				adj[i] = append(adj[i], edge{to: to, pointer: r.pointer})
			}
		}
	}
	var out []Finding
	for _, comp := range stronglyConnected(adj) {
		if len(comp) < 2 {
			continue
		}
		start := slices.MinFunc(comp, func(a, b int) int { return strings.Compare(nodes[a].id, nodes[b].id) })
		path, first := shortestCycle(adj, comp, start)
		names := make([]string, len(path))
		for i, n := range path {
			names[i] = nodes[n].id
		}
		e := nodes[start]
		out = append(out, Finding{Severity: SeverityError, Code: code, EntityType: string(ontology.Kinds[k]), EntityID: e.id,
			File: e.file, Path: first, Message: fmt.Sprintf("%s cycle: %s", label, strings.Join(names, " → "))})
	}
	return out
}

// stronglyConnected returns the strongly connected components of a graph (Tarjan's
// algorithm, iterative so that a long chain cannot exhaust the stack).
func stronglyConnected(adj [][]edge) [][]int {
	n := len(adj)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var comps [][]int
	next := 0
	type frame struct{ node, edge int }
	for root := range n {
		if index[root] >= 0 {
			continue
		}
		calls := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(calls) > 0 {
			f := &calls[len(calls)-1]
			if f.edge < len(adj[f.node]) {
				to := adj[f.node][f.edge].to
				f.edge++
				switch {
				case index[to] < 0:
					index[to], low[to] = next, next
					next++
					stack = append(stack, to)
					onStack[to] = true
					calls = append(calls, frame{to, 0})
				case onStack[to]:
					low[f.node] = min(low[f.node], index[to])
				}
				continue
			}
			node := f.node
			calls = calls[:len(calls)-1]
			if len(calls) > 0 {
				parent := calls[len(calls)-1].node
				low[parent] = min(low[parent], low[node])
			}
			if low[node] == index[node] {
				var comp []int
				for {
					top := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[top] = false
					comp = append(comp, top)
					if top == node {
						break
					}
				}
				comps = append(comps, comp)
			}
		}
	}
	return comps
}

// shortestCycle finds, breadth-first within one component, the shortest cycle from start back
// to start, returned as the nodes visited (start at both ends), with the pointer of its first
// reference.
func shortestCycle(adj [][]edge, comp []int, start int) ([]int, string) {
	inComp := make(map[int]bool, len(comp))
	for _, n := range comp {
		inComp[n] = true
	}
	prev := map[int]int{}
	queue := []int{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range adj[n] {
			if !inComp[e.to] {
				continue
			}
			if e.to == start {
				path := []int{start}
				for at := n; at != start; at = prev[at] {
					path = append(path, at)
				}
				path = append(path, start)
				slices.Reverse(path)
				return path, firstPointer(adj, start, path[1])
			}
			if _, seen := prev[e.to]; !seen {
				prev[e.to] = n
				queue = append(queue, e.to)
			}
		}
	}
	return []int{start}, ""
}

func firstPointer(adj [][]edge, from, to int) string {
	for _, e := range adj[from] {
		if e.to == to {
			return e.pointer
		}
	}
	return ""
}
