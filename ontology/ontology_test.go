package ontology

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseCategory(t *testing.T) {
	tests := []struct {
		name       string
		definition string
		want       Category
	}{
		{
			name:       "older layout",
			definition: `{"id":"Person","parent":"Agent","properties":["has_name","has_email"],"subobjects":["Address"]}`,
			want: Category{ID: "X", Parents: []string{"Agent"},
				Properties: []Member{{"has_name", false}, {"has_email", false}},
				Subobjects: []Member{{"Address", false}}},
		},
		{
			name:       "older layout root",
			definition: `{"id":"Agent","parent":null,"properties":["has_name"],"subobjects":[]}`,
			want:       Category{ID: "X", Properties: []Member{{"has_name", false}}},
		},
		{
			name: "newer layout",
			definition: `{"parents":["Employee","Student"],"required_properties":["Has_a"],"optional_properties":["Has_b","Has_a"],
				"required_subobjects":["Address"],"optional_subobjects":["Contact"]}`,
			want: Category{ID: "X", Parents: []string{"Employee", "Student"},
				Properties: []Member{{"Has_a", true}, {"Has_b", false}},
				Subobjects: []Member{{"Address", true}, {"Contact", false}}},
		},
		{
			name:       "both parent fields, repeats dropped",
			definition: `{"parents":["A","B","A"],"parent":"B"}`,
			want:       Category{ID: "X", Parents: []string{"A", "B"}},
		},
		{
			name:       "wrong shapes are ignored",
			definition: `{"parents":"A","parent":["B"],"required_properties":[1,"Has_x",null,""],"optional_properties":{"a":1}}`,
			want:       Category{ID: "X", Properties: []Member{{"Has_x", true}}},
		},
		{name: "not an object", definition: `[1,2]`, want: Category{ID: "X"}},
		{name: "not JSON", definition: `{`, want: Category{ID: "X"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseCategory("X", []byte(tt.definition))
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseCategory (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSubobjectAndModule(t *testing.T) {
	older := ParseSubobject("Address", []byte(`{"properties":["street","city"]}`))
	newer := ParseSubobject("Address", []byte(`{"required_properties":["Has_street"],"optional_properties":["Has_postal_code"]}`))
	want := []Subobject{
		{ID: "Address", Properties: []Member{{"street", false}, {"city", false}}},
		{ID: "Address", Properties: []Member{{"Has_street", true}, {"Has_postal_code", false}}},
	}
	if diff := cmp.Diff(want, []Subobject{older, newer}); diff != "" {
		t.Errorf("ParseSubobject (-want +got):\n%s", diff)
	}
	module := ParseModule("M", []byte(`{"version":"1.2.3","categories":["A"],"properties":["Has_a","Has_a"],"subobjects":["S"],"dependencies":"not a list"}`))
	version := "1.2.3"
	if diff := cmp.Diff(Module{ID: "M", Version: &version, Categories: []string{"A"}, Properties: []string{"Has_a"}, Subobjects: []string{"S"}}, module); diff != "" {
		t.Errorf("ParseModule (-want +got):\n%s", diff)
	}
	bundle := ParseBundle("B", []byte(`{"modules":["M","N"],"version":1}`))
	if diff := cmp.Diff(Bundle{ID: "B", Modules: []string{"M", "N"}}, bundle); diff != "" {
		t.Errorf("ParseBundle (-want +got):\n%s", diff)
	}
}

// cat builds a category: parents, then members as "+id" (required) or "id" (optional).
func cat(id string, parents []string, properties ...string) Category {
	c := Category{ID: id, Parents: parents}
	for _, p := range properties {
		if p[0] == '+' {
			c.Properties = append(c.Properties, Member{ID: p[1:], Required: true})
		} else {
			c.Properties = append(c.Properties, Member{ID: p})
		}
	}
	return c
}

func parents(ids ...string) []string { return ids }

// diamond is Agent ← Person ← {Employee, Student} ← Teaching_assistant, plus Organization ← Agent
// and a parent that does not exist.
func diamond() *Graph {
	return NewGraph([]Category{
		cat("Agent", nil, "+Has_name", "Has_email"),
		cat("Person", parents("Agent"), "Has_orcid"),
		cat("Organization", parents("Agent", "Ghost")),
		cat("Employee", parents("Person"), "+Has_start_date", "Has_supervisor", "+Has_job"),
		cat("Student", parents("Person"), "Has_start_date", "Has_supervisor", "+Has_program", "Has_job"),
		cat("Teaching_assistant", parents("Employee", "Student"), "+Has_hours", "Has_email"),
	})
}

func TestAncestorsAndDescendants(t *testing.T) {
	g := diamond()
	tests := []struct {
		name string
		got  []Node
		want []Node
	}{
		{
			name: "diamond ancestors, each once, nearest first",
			got:  g.Ancestors("Teaching_assistant"),
			want: []Node{
				{ID: "Employee", Depth: 1, Parents: []string{"Person"}},
				{ID: "Student", Depth: 1, Parents: []string{"Person"}},
				{ID: "Person", Depth: 2, Parents: []string{"Agent"}},
				{ID: "Agent", Depth: 3},
			},
		},
		{
			name: "missing parent",
			got:  g.Ancestors("Organization"),
			want: []Node{{ID: "Agent", Depth: 1}, {ID: "Ghost", Depth: 1, Missing: true}},
		},
		{name: "root has no ancestors", got: g.Ancestors("Agent"), want: nil},
		{name: "unknown category", got: g.Ancestors("Nobody"), want: nil},
		{
			name: "descendants, each once, siblings by id",
			got:  g.Descendants("Agent"),
			want: []Node{
				{ID: "Organization", Depth: 1, Parents: []string{"Agent", "Ghost"}},
				{ID: "Person", Depth: 1, Parents: []string{"Agent"}},
				{ID: "Employee", Depth: 2, Parents: []string{"Person"}},
				{ID: "Student", Depth: 2, Parents: []string{"Person"}},
				{ID: "Teaching_assistant", Depth: 3, Parents: []string{"Employee", "Student"}},
			},
		},
		{name: "leaf has no descendants", got: g.Descendants("Teaching_assistant"), want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if cycles := g.Cycles("Teaching_assistant"); len(cycles) != 0 {
		t.Errorf("Cycles of a diamond = %v, want none", cycles)
	}
}

func TestMembers(t *testing.T) {
	g := diamond()
	tests := []struct {
		name string
		id   string
		want []EffectiveMember
	}{
		{
			name: "root",
			id:   "Agent",
			want: []EffectiveMember{{"Has_name", true, "Agent", 0}, {"Has_email", false, "Agent", 0}},
		},
		{
			name: "diamond: own first, nearest wins, required wins at the same depth, ancestors once",
			id:   "Teaching_assistant",
			want: []EffectiveMember{
				{"Has_hours", true, "Teaching_assistant", 0},
				// Its own optional Has_email overrides Agent's.
				{"Has_email", false, "Teaching_assistant", 0},
				// Employee requires, Student makes optional: required wins, Employee is the source.
				{"Has_start_date", true, "Employee", 1},
				// Both optional: the first parent in file order is the source.
				{"Has_supervisor", false, "Employee", 1},
				{"Has_job", true, "Employee", 1},
				// Student requires, Employee does not list it.
				{"Has_program", true, "Student", 1},
				// Reached through both parents, listed once.
				{"Has_orcid", false, "Person", 2},
				{"Has_name", true, "Agent", 3},
			},
		},
		{
			name: "required from the later parent at the same depth",
			id:   "Late",
			want: []EffectiveMember{{"Has_x", true, "B", 1}},
		},
		{name: "unknown", id: "Nobody", want: nil},
	}
	g2 := NewGraph([]Category{cat("A", nil, "Has_x"), cat("B", nil, "+Has_x"), cat("Late", parents("A", "B"))})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			graph := g
			if tt.id == "Late" {
				graph = g2
			}
			if diff := cmp.Diff(tt.want, graph.Members(tt.id, Properties), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Members (-want +got):\n%s", diff)
			}
		})
	}
	subs := NewGraph([]Category{
		{ID: "A", Subobjects: []Member{{"Address", true}}},
		{ID: "B", Parents: []string{"A"}, Subobjects: []Member{{"Contact", false}}},
	})
	want := []EffectiveMember{{"Contact", false, "B", 0}, {"Address", true, "A", 1}}
	if diff := cmp.Diff(want, subs.Members("B", Subobjects)); diff != "" {
		t.Errorf("Members(Subobjects) (-want +got):\n%s", diff)
	}
	if !want[1].Inherited() || want[0].Inherited() {
		t.Error("Inherited() should be true only for members from an ancestor")
	}
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name       string
		categories []Category
		id         string
		ancestors  []string
		desc       []string
		cycles     [][]string
	}{
		{
			name:       "two-cycle",
			categories: []Category{cat("A", parents("B")), cat("B", parents("A"))},
			id:         "A",
			ancestors:  []string{"B"},
			desc:       []string{"B"},
			cycles:     [][]string{{"A", "B", "A"}},
		},
		{
			name:       "self parent",
			categories: []Category{cat("A", parents("A"))},
			id:         "A",
			cycles:     [][]string{{"A", "A"}},
		},
		{
			name:       "three-cycle seen from a member, rotated to the smallest id",
			categories: []Category{cat("C", parents("A")), cat("A", parents("B")), cat("B", parents("C"))},
			id:         "B",
			ancestors:  []string{"C", "A"},
			desc:       []string{"A", "C"},
			cycles:     [][]string{{"A", "B", "C", "A"}},
		},
		{
			name:       "cycle above a category",
			categories: []Category{cat("X", parents("A")), cat("A", parents("B")), cat("B", parents("A"))},
			id:         "X",
			ancestors:  []string{"A", "B"},
			cycles:     [][]string{{"A", "B", "A"}},
		},
		{
			name:       "cycle below a category",
			categories: []Category{cat("Root", nil), cat("A", parents("Root", "B")), cat("B", parents("A"))},
			id:         "Root",
			desc:       []string{"A", "B"},
			cycles:     [][]string{{"A", "B", "A"}},
		},
		{
			name:       "two cycles",
			categories: []Category{cat("A", parents("B", "C")), cat("B", parents("A")), cat("C", parents("A"))},
			id:         "A",
			ancestors:  []string{"B", "C"},
			desc:       []string{"B", "C"},
			cycles:     [][]string{{"A", "B", "A"}, {"A", "C", "A"}},
		},
	}
	ids := func(nodes []Node) []string {
		var out []string
		for _, n := range nodes {
			out = append(out, n.ID)
		}
		return out
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGraph(tt.categories)
			if diff := cmp.Diff(tt.ancestors, ids(g.Ancestors(tt.id)), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Ancestors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.desc, ids(g.Descendants(tt.id)), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Descendants (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.cycles, g.Cycles(tt.id), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Cycles (-want +got):\n%s", diff)
			}
			// Members walks the same graph and must end too.
			_ = g.Members(tt.id, Properties)
		})
	}
}

func TestDependencyClosure(t *testing.T) {
	deps := map[string][]string{
		"core":     nil,
		"research": {"core"},
		"lab":      {"research", "ghost", "core"},
		"a":        {"b"},
		"b":        {"a", "c"},
		"c":        {"c"},
	}
	tests := []struct {
		name  string
		roots []string
		want  []ModuleNode
	}{
		{name: "no dependencies", roots: []string{"core"}, want: nil},
		{
			name:  "nearest first, each once, missing flagged",
			roots: []string{"lab"},
			want:  []ModuleNode{{"research", 1, false}, {"ghost", 1, true}, {"core", 1, false}},
		},
		{
			name:  "transitive",
			roots: []string{"research"},
			want:  []ModuleNode{{"core", 1, false}},
		},
		{
			name:  "cycle excludes the root",
			roots: []string{"a"},
			want:  []ModuleNode{{"b", 1, false}, {"c", 2, false}},
		},
		{
			name:  "several roots are all excluded",
			roots: []string{"research", "core", "missing"},
			want:  nil,
		},
		{
			name:  "profile of listed modules",
			roots: []string{"lab", "research"},
			want:  []ModuleNode{{"ghost", 1, true}, {"core", 1, false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, DependencyClosure(deps, tt.roots), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("DependencyClosure (-want +got):\n%s", diff)
			}
		})
	}
}
