package server

import (
	"context"

	"github.com/ontohub/ontohub/gen"
)

// GetVersion reports the server's build and the ontology snapshot it serves. It answers while
// the first snapshot loads too (whenLoaded lets it through), with the ontology fields null.
func (s *Server) GetVersion(context.Context, gen.GetVersionRequestObject) (gen.GetVersionResponseObject, error) {
	v := gen.Version{Version: s.cfg.Version, Commit: s.cfg.Commit}
	if v.Version == "" {
		v.Version = "dev"
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}
	if s.snapshots.Loaded() {
		snap := s.snapshots.Current()
		v.Ontology.Generation = snap.Generation
		v.Ontology.CommitSha = snap.CommitSHA
		if !snap.IngestedAt.IsZero() {
			ingestedAt := snap.IngestedAt
			v.Ontology.IngestedAt = &ingestedAt
		}
	}
	return gen.GetVersion200JSONResponse(v), nil
}
