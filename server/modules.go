package server

import (
	"context"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/snapshot"
)

// Details of the 404s about modules and bundles.
const (
	detailModuleNotFound  = "Module not found"
	detailBundleNotFound  = "Bundle not found"
	detailProfileNotFound = "Profile not found"
)

// ListModules returns one page of live modules.
func (s *Server) ListModules(ctx context.Context, req gen.ListModulesRequestObject) (gen.ListModulesResponseObject, error) {
	snap := s.snapshot(ctx)
	page, bad := s.kindPage(snap, ontology.KindModule, req.Params.Cursor, req.Params.Limit)
	if bad != nil {
		return gen.ListModules400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: *bad}, nil
	}
	return pageAnswer(ctx, snap.ModuleSummaries(page), page), nil
}

// GetModule returns a live module with its categories, declared dependencies and their
// transitive closure, each flagged when it does not exist.
func (s *Server) GetModule(ctx context.Context, req gen.GetModuleRequestObject) (gen.GetModuleResponseObject, error) {
	body, etag, ok := s.snapshot(ctx).Module(req.ModuleId)
	if !ok {
		return gen.GetModule404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(detailModuleNotFound)}, nil
	}
	return conditionalBody(body, etag, req.Params.IfNoneMatch), nil
}

// ListBundles returns one page of live bundles.
func (s *Server) ListBundles(ctx context.Context, req gen.ListBundlesRequestObject) (gen.ListBundlesResponseObject, error) {
	snap := s.snapshot(ctx)
	page, bad := s.kindPage(snap, ontology.KindBundle, req.Params.Cursor, req.Params.Limit)
	if bad != nil {
		return gen.ListBundles400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: *bad}, nil
	}
	return pageAnswer(ctx, snap.BundleSummaries(page, false), page), nil
}

// GetBundle returns a live bundle with its modules and the closure of their dependencies that
// it does not list itself, each flagged when it does not exist.
func (s *Server) GetBundle(ctx context.Context, req gen.GetBundleRequestObject) (gen.GetBundleResponseObject, error) {
	body, etag, ok := s.snapshot(ctx).Bundle(req.BundleId, false)
	if !ok {
		return gen.GetBundle404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(detailBundleNotFound)}, nil
	}
	return conditionalBody(body, etag, req.Params.IfNoneMatch), nil
}

// ListProfiles returns one page of live bundles under the older layout's name.
func (s *Server) ListProfiles(ctx context.Context, req gen.ListProfilesRequestObject) (gen.ListProfilesResponseObject, error) {
	snap := s.snapshot(ctx)
	page, bad := s.kindPage(snap, ontology.KindBundle, req.Params.Cursor, req.Params.Limit)
	if bad != nil {
		return gen.ListProfiles400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: *bad}, nil
	}
	return pageAnswer(ctx, snap.BundleSummaries(page, true), page), nil
}

// GetProfile returns a live bundle under the older layout's name.
func (s *Server) GetProfile(ctx context.Context, req gen.GetProfileRequestObject) (gen.GetProfileResponseObject, error) {
	body, etag, ok := s.snapshot(ctx).Bundle(req.ProfileId, true)
	if !ok {
		return gen.GetProfile404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(detailProfileNotFound)}, nil
	}
	return conditionalBody(body, etag, req.Params.IfNoneMatch), nil
}

// kindPage reads a page of one kind for the list operations that take only a cursor and a limit.
func (s *Server) kindPage(snap *snapshot.Snapshot, kind ontology.Kind, cursor *gen.Cursor, limit *gen.Limit) (snapshot.Page, *gen.BadRequestApplicationProblemPlusJSONResponse) {
	after, err := decodeCursor(cursor)
	if err != nil {
		bad := badCursor(err)
		return snapshot.Page{}, &bad
	}
	page, err := snap.Page(kind, snapshot.PageQuery{After: after, Limit: pageLimit(limit)})
	if err != nil {
		// Only a module filter fails, and there is none here.
		bad := badCursor(err)
		return snapshot.Page{}, &bad
	}
	return page, nil
}
