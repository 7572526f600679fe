package ontology

// ModuleNode is a module reached through dependencies.
type ModuleNode struct {
	// ID is the module's id.
	ID string
	// Depth is the shortest number of dependency steps from the starting modules.
	Depth int
	// Missing is true when a module names it as a dependency but it does not exist.
	Missing bool
}

// DependencyClosure returns every module reachable through dependencies from the roots,
// breadth-first (nearest first, dependencies in file order), each once, the roots themselves
// excluded. dependencies maps each existing module to the modules it declares; a dependency
// missing from it is included, flagged Missing, and not walked further. Roots that do not exist
// contribute nothing. Cycles end the walk where they close.
func DependencyClosure(dependencies map[string][]string, roots []string) []ModuleNode {
	visited := map[string]bool{}
	for _, id := range roots {
		visited[id] = true
	}
	var out []ModuleNode
	frontier := roots
	for depth := 1; len(frontier) > 0; depth++ {
		var following []string
		for _, id := range frontier {
			for _, dep := range dependencies[id] {
				if visited[dep] {
					continue
				}
				visited[dep] = true
				_, exists := dependencies[dep]
				out = append(out, ModuleNode{ID: dep, Depth: depth, Missing: !exists})
				if exists {
					following = append(following, dep)
				}
			}
		}
		frontier = following
	}
	return out
}
