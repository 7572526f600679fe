package server

import (
	"context"
	"errors"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/store"
)

// detailModuleNotFound is the detail of every 404 about a module.
const detailModuleNotFound = "Module not found"

// ListModules returns one page of live modules.
func (s *Server) ListModules(ctx context.Context, req gen.ListModulesRequestObject) (gen.ListModulesResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return gen.ListModules400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: badCursor(err)}, nil
	}
	page, err := s.store.Modules(ctx, after, pageLimit(req.Params.Limit))
	if err != nil {
		return nil, err
	}
	items, next := pageItems(page, moduleSummary, func(m store.Module) string { return m.ModuleID })
	return gen.ListModules200JSONResponse{Items: items, HasNext: page.HasNext, NextCursor: next}, nil
}

// GetModule returns a live module with its categories, declared dependencies and their
// transitive closure, each flagged when it does not exist.
func (s *Server) GetModule(ctx context.Context, req gen.GetModuleRequestObject) (gen.GetModuleResponseObject, error) {
	m, err := s.store.Module(ctx, req.ModuleId)
	if errors.Is(err, store.ErrNotFound) {
		return gen.GetModule404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(detailModuleNotFound)}, nil
	}
	if err != nil {
		return nil, err
	}
	categoryLabels, err := s.store.EntityLabels(ctx, string(gen.EntityTypeCategory), m.CategoryIDs)
	if err != nil {
		return nil, err
	}
	dependencies, moduleLabels, err := s.moduleDependencies(ctx)
	if err != nil {
		return nil, err
	}
	body := gen.ModuleDetail{
		Module:            moduleSummary(m),
		SchemaDefinition:  m.SchemaDefinition,
		Categories:        make([]gen.EntityRef, 0, len(m.CategoryIDs)),
		Dependencies:      make([]gen.ModuleRef, 0, len(m.Dependencies)),
		DependencyClosure: closureRefs(ontology.DependencyClosure(dependencies, []string{m.ModuleID}), moduleLabels),
	}
	for _, id := range m.CategoryIDs {
		body.Categories = append(body.Categories, entityRef(id, categoryLabels))
	}
	for _, id := range m.Dependencies {
		body.Dependencies = append(body.Dependencies, moduleRef(id, moduleLabels))
	}
	tag, unchanged, err := conditional(body, req.Params.IfNoneMatch)
	if err != nil {
		return nil, err
	}
	if unchanged {
		return gen.GetModule304Response{Headers: gen.NotModifiedResponseHeaders{ETag: &tag}}, nil
	}
	return gen.GetModule200JSONResponse{Body: body, Headers: gen.GetModule200ResponseHeaders{ETag: &tag}}, nil
}

// moduleMembers returns the entities of the live module moduleID (store.ErrNotFound when there
// is none), computed over every live category.
func (s *Server) moduleMembers(ctx context.Context, moduleID string) (ontology.ModuleMembers, error) {
	m, err := s.store.Module(ctx, moduleID)
	if err != nil {
		return ontology.ModuleMembers{}, err
	}
	graph, _, err := s.categoryGraph(ctx)
	if err != nil {
		return ontology.ModuleMembers{}, err
	}
	subobjects, _, err := s.subobjectDefinitions(ctx)
	if err != nil {
		return ontology.ModuleMembers{}, err
	}
	return graph.ModuleMembers(m.CategoryIDs, ontology.ParseModuleLists(m.SchemaDefinition), subobjects), nil
}

// moduleDependencies loads every live module's declared dependencies and label, by module id.
func (s *Server) moduleDependencies(ctx context.Context) (map[string][]string, map[string]string, error) {
	links, err := s.store.ModuleLinks(ctx)
	if err != nil {
		return nil, nil, err
	}
	dependencies := make(map[string][]string, len(links))
	labels := make(map[string]string, len(links))
	for _, l := range links {
		dependencies[l.ModuleID] = l.Dependencies
		labels[l.ModuleID] = l.Label
	}
	return dependencies, labels, nil
}

// moduleRef refers to a module, flagged missing when labels (the live modules) lacks it.
func moduleRef(id string, labels map[string]string) gen.ModuleRef {
	label, ok := labels[id]
	if !ok {
		return gen.ModuleRef{ModuleId: id, Missing: true}
	}
	return gen.ModuleRef{ModuleId: id, Label: &label}
}

func closureRefs(nodes []ontology.ModuleNode, labels map[string]string) []gen.ModuleRef {
	out := make([]gen.ModuleRef, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, moduleRef(n.ID, labels))
	}
	return out
}

func moduleSummary(m store.Module) gen.ModuleSummary {
	return gen.ModuleSummary{
		Id:           m.ID,
		ModuleId:     m.ModuleID,
		Label:        m.Label,
		Description:  m.Description,
		CategoryIds:  nonNil(m.CategoryIDs),
		Dependencies: nonNil(m.Dependencies),
		CommitSha:    m.CommitSHA,
		CreatedAt:    m.CreatedAt.UTC(),
		UpdatedAt:    m.UpdatedAt.UTC(),
	}
}
