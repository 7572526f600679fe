package validate

import (
	"path"
	"strings"

	"github.com/ontohub/ontohub/checkout"
	"github.com/ontohub/ontohub/ontology"
)

// Entity is one entity file handed to Prepare.
type Entity struct {
	// Kind is the entity's kind.
	Kind ontology.Kind
	// ID is the id its path gives (the path below the kind folder, without ".json").
	ID string
	// File is its path relative to the checkout root, with forward slashes.
	File string
	// Data is the file's content, one strict JSON object. Prepare keeps it (without copying):
	// the caller must not change it afterwards.
	Data []byte
}

// Repo is a whole schema repository as Prepare takes it.
type Repo struct {
	// Entities are the usable entity files.
	Entities []Entity
	// Problems are the file-level problems (checkout.Checkout.Problems); the files they name
	// are not in Entities. Each becomes a finding, and an entity file among them still counts
	// as existing, so references to it are not reported as unresolved as well.
	Problems []checkout.Problem
	// Schemas holds each kind folder's _schema.json. A kind without one is checked for its
	// required fields only; a repository with none at all is of the older layout, whose modules
	// also own the properties and subobjects their categories list.
	Schemas map[ontology.Kind][]byte
	// Version is the root VERSION file's content, trimmed ("" when there is none).
	Version string
	// BundleFolder is the folder bundles live in: "bundles", or "profiles" in the older
	// layout. It names the files of bundles a draft creates.
	BundleFolder string
}

// FromCheckout turns a checkout read from disk into a Repo: files without a problem become
// entities, the others (and unusable _schema.json files) become problems.
func FromCheckout(co *checkout.Checkout) Repo {
	repo := Repo{
		Problems:     co.Problems(),
		Schemas:      map[ontology.Kind][]byte{},
		Version:      co.VersionString(),
		BundleFolder: co.BundleFolder,
	}
	problem := map[string]bool{}
	for _, p := range repo.Problems {
		problem[p.Path] = true
	}
	for _, f := range co.Files {
		if problem[f.Path] {
			continue
		}
		repo.Entities = append(repo.Entities, Entity{Kind: f.Kind, ID: f.ID, File: f.Path, Data: f.Data})
	}
	for kind, f := range co.Schemas {
		if !problem[f.Path] {
			repo.Schemas[kind] = f.Data
		}
	}
	return repo
}

// folderOf is where files of a kind live in this repository.
func folderOf(k ontology.Kind, bundleFolder string) string {
	if k == ontology.KindBundle && bundleFolder != "" {
		return bundleFolder
	}
	return k.Folder()
}

// problemFinding turns a file-level problem into a finding, with the entity it is about when
// the path names one.
func problemFinding(p checkout.Problem) (Finding, ontology.Kind, string, bool) {
	code := p.Code
	if code == "" {
		// Problems met while walking (a kind folder that is a file, a symlink) carry no code.
		code = CodeUnreadableFile
	}
	f := Finding{Severity: SeverityError, Code: code, File: p.Path, Message: p.Message}
	kind, id, isEntity := checkout.KindOf(p.Path)
	if !isEntity {
		if k, ok := ontology.KindOfFolder(p.Path); ok {
			f.EntityType = string(k)
		}
		return f, "", "", false
	}
	f.EntityType = string(kind)
	if path.Base(p.Path) == schemaFileName && !strings.Contains(id, "/") {
		return f, kind, "", false
	}
	f.EntityID = id
	return f, kind, id, true
}
