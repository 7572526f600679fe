package ontology

import (
	"encoding/json"
	"strings"
)

// Kind is one of the eight kinds of entity a schema repository holds, as the API spells it in
// entity_type.
type Kind string

// The kinds, in the order they are read, listed and reported.
const (
	KindCategory  Kind = "category"
	KindProperty  Kind = "property"
	KindSubobject Kind = "subobject"
	KindTemplate  Kind = "template"
	KindModule    Kind = "module"
	KindBundle    Kind = "bundle"
	KindDashboard Kind = "dashboard"
	KindResource  Kind = "resource"
)

// Kinds lists every kind in reporting order.
var Kinds = []Kind{KindCategory, KindProperty, KindSubobject, KindTemplate, KindModule, KindBundle, KindDashboard, KindResource}

// folders maps each kind to the folder of the newer layout that holds its files.
var folders = map[Kind]string{
	KindCategory:  "categories",
	KindProperty:  "properties",
	KindSubobject: "subobjects",
	KindTemplate:  "templates",
	KindModule:    "modules",
	KindBundle:    "bundles",
	KindDashboard: "dashboards",
	KindResource:  "resources",
}

// ProfilesFolder is where the older layout keeps bundles, which it calls profiles.
const ProfilesFolder = "profiles"

// Folder returns the folder of the newer layout that holds files of kind k.
func (k Kind) Folder() string { return folders[k] }

// Valid reports whether k is one of the eight kinds.
func (k Kind) Valid() bool {
	_, ok := folders[k]
	return ok
}

// KindOfFolder returns the kind whose files a top-level folder holds; profiles/ holds bundles.
func KindOfFolder(folder string) (Kind, bool) {
	if folder == ProfilesFolder {
		return KindBundle, true
	}
	for k, f := range folders {
		if f == folder {
			return k, true
		}
	}
	return "", false
}

// Index returns k's position in Kinds, -1 for an unknown kind.
func (k Kind) Index() int {
	for i, kind := range Kinds {
		if kind == k {
			return i
		}
	}
	return -1
}

// Describe returns what lists and search show of an entity file: its "label" (the id when the
// file has none or an empty one) and its "description" (nil when it has none).
func Describe(id string, data []byte) (label string, description *string, err error) {
	var fields struct {
		Label       any `json:"label"`
		Description any `json:"description"`
	}
	if err := json.Unmarshal(data, &fields); err != nil {
		return "", nil, err
	}
	label, _ = fields.Label.(string)
	if strings.TrimSpace(label) == "" {
		label = id
	}
	if d, ok := fields.Description.(string); ok {
		description = &d
	}
	return label, description, nil
}
