package snapshot

import (
	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ontology"
)

// moduleInfo is a live module with its answers encoded once.
type moduleInfo struct {
	entity *Entity
	module ontology.Module
	// summaryBody is the module as an item of GET /api/v1/modules.
	summaryBody []byte
	// detailBody and detailETag are GET /api/v1/modules/{id}.
	detailBody []byte
	detailETag string
	// members holds, per kind, the module's members as ascending positions in that kind's id
	// order (see memberPositions).
	members map[ontology.Kind][]int32
}

// bundleInfo is a live bundle with its answers encoded once, under both names.
type bundleInfo struct {
	entity             *Entity
	bundle             ontology.Bundle
	profileSummaryBody []byte
	bundleSummaryBody  []byte
	profileDetailBody  []byte
	profileDetailETag  string
	bundleDetailBody   []byte
	bundleDetailETag   string
}

// moduleDependencies maps every live module to its declared dependencies.
func (s *Snapshot) moduleDependencies() map[string][]string {
	deps := make(map[string][]string, s.Len(ontology.KindModule))
	for _, e := range s.Entities(ontology.KindModule) {
		deps[e.ID] = ontology.ParseModule(e.ID, e.Def).Dependencies
	}
	return deps
}

func (s *Snapshot) buildModules() error {
	s.modules = map[string]*moduleInfo{}
	deps := s.moduleDependencies()
	for _, e := range s.Entities(ontology.KindModule) {
		m := ontology.ParseModule(e.ID, e.Def)
		info := &moduleInfo{entity: e, module: m}
		summary := s.moduleSummary(e, m)
		detail := gen.ModuleDetail{
			Module:            summary,
			SchemaDefinition:  e.Def,
			Categories:        make([]gen.EntityRef, 0, len(m.Categories)),
			Dependencies:      make([]gen.ModuleRef, 0, len(m.Dependencies)),
			DependencyClosure: s.closureRefs(ontology.DependencyClosure(deps, []string{e.ID})),
		}
		for _, id := range m.Categories {
			detail.Categories = append(detail.Categories, s.ref(ontology.KindCategory, id))
		}
		for _, id := range m.Dependencies {
			detail.Dependencies = append(detail.Dependencies, s.moduleRef(id))
		}
		var err error
		if info.summaryBody, err = Encode(summary); err != nil {
			return err
		}
		if info.detailBody, err = Encode(detail); err != nil {
			return err
		}
		info.detailETag = ETag(info.detailBody)
		s.modules[e.ID] = info
	}
	s.memberPositions()
	return nil
}

func (s *Snapshot) moduleSummary(e *Entity, m ontology.Module) gen.ModuleSummary {
	return gen.ModuleSummary{
		Id:           e.UUID,
		ModuleId:     e.ID,
		Label:        e.Label,
		Description:  e.Description,
		Version:      m.Version,
		CategoryIds:  nonNil(m.Categories),
		Dependencies: nonNil(m.Dependencies),
		CommitSha:    e.CommitSHA,
		CreatedAt:    e.CreatedAt.UTC(),
		UpdatedAt:    e.UpdatedAt.UTC(),
	}
}

func (s *Snapshot) buildBundles() error {
	s.bundles = map[string]*bundleInfo{}
	deps := s.moduleDependencies()
	for _, e := range s.Entities(ontology.KindBundle) {
		b := ontology.ParseBundle(e.ID, e.Def)
		modules := make([]gen.ModuleRef, 0, len(b.Modules))
		for _, id := range b.Modules {
			modules = append(modules, s.moduleRef(id))
		}
		closure := s.closureRefs(ontology.DependencyClosure(deps, b.Modules))
		profile := gen.ProfileSummary{Id: e.UUID, ProfileId: e.ID, Label: e.Label, Description: e.Description,
			ModuleIds: nonNil(b.Modules), CommitSha: e.CommitSHA, CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC()}
		bundle := gen.BundleSummary{Id: e.UUID, BundleId: e.ID, Label: e.Label, Description: e.Description, Version: b.Version,
			ModuleIds: nonNil(b.Modules), CommitSha: e.CommitSHA, CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC()}
		info := &bundleInfo{entity: e, bundle: b}
		var err error
		if info.profileSummaryBody, err = Encode(profile); err != nil {
			return err
		}
		if info.bundleSummaryBody, err = Encode(bundle); err != nil {
			return err
		}
		if info.profileDetailBody, err = Encode(gen.ProfileDetail{Profile: profile, SchemaDefinition: e.Def, Modules: modules, DependencyClosure: closure}); err != nil {
			return err
		}
		if info.bundleDetailBody, err = Encode(gen.BundleDetail{Bundle: bundle, SchemaDefinition: e.Def, Modules: modules, DependencyClosure: closure}); err != nil {
			return err
		}
		info.profileDetailETag, info.bundleDetailETag = ETag(info.profileDetailBody), ETag(info.bundleDetailBody)
		s.bundles[e.ID] = info
	}
	return nil
}

// moduleRef refers to a module, flagged missing when it does not exist.
func (s *Snapshot) moduleRef(id string) gen.ModuleRef {
	label, ok := s.Label(ontology.KindModule, id)
	if !ok {
		return gen.ModuleRef{ModuleId: id, Missing: true}
	}
	return gen.ModuleRef{ModuleId: id, Label: &label}
}

func (s *Snapshot) closureRefs(nodes []ontology.ModuleNode) []gen.ModuleRef {
	out := make([]gen.ModuleRef, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, s.moduleRef(n.ID))
	}
	return out
}

// memberPositions computes what each module holds, for the list filter: the categories it
// lists; the properties and subobjects those categories have (inherited ones included), those
// it lists itself and the properties of all those subobjects; the templates, dashboards and
// resources it lists. Modules and bundles are never members of a module. The inherited members
// come from the used-by lists, walked once for all modules, rather than from a walk of every
// listed category's ancestors.
func (s *Snapshot) memberPositions() {
	kinds := []ontology.Kind{ontology.KindCategory, ontology.KindProperty, ontology.KindSubobject,
		ontology.KindTemplate, ontology.KindDashboard, ontology.KindResource}
	sets := map[*moduleInfo]map[ontology.Kind]bitset{}
	byCategory := map[uint32][]*moduleInfo{} // category position → modules listing it
	for _, m := range s.modules {
		sets[m] = map[ontology.Kind]bitset{}
		for _, kind := range kinds {
			sets[m][kind] = newBitset(s.Len(kind))
		}
		for kind, ids := range map[ontology.Kind][]string{
			ontology.KindCategory: m.module.Categories, ontology.KindProperty: m.module.Properties,
			ontology.KindSubobject: m.module.Subobjects, ontology.KindTemplate: m.module.Templates,
			ontology.KindDashboard: m.module.Dashboards, ontology.KindResource: m.module.Resources,
		} {
			for _, id := range ids {
				if e, ok := s.Entity(kind, id); ok {
					sets[m][kind].set(int(e.pos))
					if kind == ontology.KindCategory {
						byCategory[uint32(e.pos)] = append(byCategory[uint32(e.pos)], m)
					}
				}
			}
		}
	}
	for memberKind, kind := range [2]ontology.Kind{ontology.KindProperty, ontology.KindSubobject} {
		for member, uses := range s.graph.usedBy[memberKind] {
			e, ok := s.Entity(kind, member)
			if !ok {
				continue
			}
			for _, u := range uses {
				for _, m := range byCategory[u.category] {
					sets[m][kind].set(int(e.pos))
				}
			}
		}
	}
	subobjects := s.Entities(ontology.KindSubobject)
	for m, byKind := range sets {
		for i := byKind[ontology.KindSubobject].next(0); i >= 0; i = byKind[ontology.KindSubobject].next(i + 1) {
			for _, p := range ontology.ParseSubobject(subobjects[i].ID, subobjects[i].Def).Properties {
				if e, ok := s.Entity(ontology.KindProperty, p.ID); ok {
					byKind[ontology.KindProperty].set(int(e.pos))
				}
			}
		}
		m.members = map[ontology.Kind][]int32{}
		for kind, set := range byKind {
			var positions []int32
			for i := set.next(0); i >= 0; i = set.next(i + 1) {
				positions = append(positions, int32(i))
			}
			m.members[kind] = positions
		}
	}
}

// Module returns the detail answer of a live module with its ETag, and its summary.
func (s *Snapshot) Module(id string) (detail []byte, etag string, ok bool) {
	m, ok := s.modules[id]
	if !ok {
		return nil, "", false
	}
	return m.detailBody, m.detailETag, true
}

// ModuleSummaries returns the list items of the modules of a page, in order.
func (s *Snapshot) ModuleSummaries(page Page) [][]byte {
	out := make([][]byte, len(page.Items))
	for i, e := range page.Items {
		out[i] = s.modules[e.ID].summaryBody
	}
	return out
}

// Bundle returns the detail answer of a live bundle under the newer name (bundles) or the older
// one (profiles), with its ETag.
func (s *Snapshot) Bundle(id string, asProfile bool) (detail []byte, etag string, ok bool) {
	b, ok := s.bundles[id]
	switch {
	case !ok:
		return nil, "", false
	case asProfile:
		return b.profileDetailBody, b.profileDetailETag, true
	}
	return b.bundleDetailBody, b.bundleDetailETag, true
}

// BundleSummaries returns the list items of the bundles of a page, under either name.
func (s *Snapshot) BundleSummaries(page Page, asProfile bool) [][]byte {
	out := make([][]byte, len(page.Items))
	for i, e := range page.Items {
		if asProfile {
			out[i] = s.bundles[e.ID].profileSummaryBody
		} else {
			out[i] = s.bundles[e.ID].bundleSummaryBody
		}
	}
	return out
}
