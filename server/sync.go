package server

import (
	"context"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/reposync"
	"github.com/ontohub/ontohub/store"
)

// Syncer is the schema repository sync as the server uses it (a *reposync.Syncer).
type Syncer interface {
	// Trigger asks for a sync, run in the background; it returns once the request is recorded.
	Trigger(ctx context.Context) error
	// RefName is the full name of the followed reference ("refs/heads/main").
	RefName() string
}

// GetSync answers where the hub stands with the schema repository, read from the database so
// that every replica answers the same.
func (s *Server) GetSync(ctx context.Context, _ gen.GetSyncRequestObject) (gen.GetSyncResponseObject, error) {
	status, err := s.store.SyncStatus(ctx)
	if err != nil {
		return nil, err
	}
	body := gen.SyncStatus{
		CommitSha:       status.CommitSHA,
		IngestedAt:      status.IngestedAt,
		State:           gen.SyncStatusState(reposync.State(s.cfg.Sync != nil, status)),
		RemoteCommitSha: status.RemoteCommitSHA,
		LastError:       status.LastError,
		AttemptedAt:     status.AttemptedAt,
		SucceededAt:     status.SucceededAt,
		Counts:          ingestCounts(status.Summary),
		Findings: gen.FindingsSummary{
			Errors:   status.Findings.Errors,
			Warnings: status.Findings.Warnings,
			ByCode:   status.Findings.ByCode,
		},
	}
	if s.cfg.Sync != nil {
		ref := s.cfg.Sync.RefName()
		body.Ref = &ref
	}
	noStore := "no-store"
	return gen.GetSync200JSONResponse{Body: body, Headers: gen.GetSync200ResponseHeaders{CacheControl: &noStore}}, nil
}

// ingestCounts are the live entities per kind after an ingest: every entity of the repository
// was added, updated or left unchanged by it.
func ingestCounts(summary store.IngestSummary) gen.EntityCounts {
	var body gen.EntityCounts
	c := &body.Counts
	for kind, n := range map[string]*int{
		"category": &c.Category, "property": &c.Property, "subobject": &c.Subobject, "template": &c.Template,
		"module": &c.Module, "bundle": &c.Bundle, "dashboard": &c.Dashboard, "resource": &c.Resource,
	} {
		k := summary[kind]
		*n = k.Added + k.Updated + k.Unchanged
		body.Total += *n
	}
	return body
}
