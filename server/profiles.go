package server

import (
	"context"
	"errors"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/store"
)

// detailProfileNotFound is the detail of every 404 about a profile.
const detailProfileNotFound = "Profile not found"

// ListProfiles returns one page of live profiles.
func (s *Server) ListProfiles(ctx context.Context, req gen.ListProfilesRequestObject) (gen.ListProfilesResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return gen.ListProfiles400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: badCursor(err)}, nil
	}
	page, err := s.store.Profiles(ctx, after, pageLimit(req.Params.Limit))
	if err != nil {
		return nil, err
	}
	items, next := pageItems(page, profileSummary, func(p store.Profile) string { return p.ProfileID })
	return gen.ListProfiles200JSONResponse{Items: items, HasNext: page.HasNext, NextCursor: next}, nil
}

// GetProfile returns a live profile with its modules and the closure of their dependencies that
// it does not list itself, each flagged when it does not exist.
func (s *Server) GetProfile(ctx context.Context, req gen.GetProfileRequestObject) (gen.GetProfileResponseObject, error) {
	p, err := s.store.Profile(ctx, req.ProfileId)
	if errors.Is(err, store.ErrNotFound) {
		return gen.GetProfile404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(detailProfileNotFound)}, nil
	}
	if err != nil {
		return nil, err
	}
	dependencies, moduleLabels, err := s.moduleDependencies(ctx)
	if err != nil {
		return nil, err
	}
	body := gen.ProfileDetail{
		Profile:           profileSummary(p),
		SchemaDefinition:  p.SchemaDefinition,
		Modules:           make([]gen.ModuleRef, 0, len(p.ModuleIDs)),
		DependencyClosure: closureRefs(ontology.DependencyClosure(dependencies, p.ModuleIDs), moduleLabels),
	}
	for _, id := range p.ModuleIDs {
		body.Modules = append(body.Modules, moduleRef(id, moduleLabels))
	}
	tag, unchanged, err := conditional(body, req.Params.IfNoneMatch)
	if err != nil {
		return nil, err
	}
	if unchanged {
		return gen.GetProfile304Response{Headers: gen.NotModifiedResponseHeaders{ETag: &tag}}, nil
	}
	return gen.GetProfile200JSONResponse{Body: body, Headers: gen.GetProfile200ResponseHeaders{ETag: &tag}}, nil
}

func profileSummary(p store.Profile) gen.ProfileSummary {
	return gen.ProfileSummary{
		Id:          p.ID,
		ProfileId:   p.ProfileID,
		Label:       p.Label,
		Description: p.Description,
		ModuleIds:   nonNil(p.ModuleIDs),
		CommitSha:   p.CommitSHA,
		CreatedAt:   p.CreatedAt.UTC(),
		UpdatedAt:   p.UpdatedAt.UTC(),
	}
}
