package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/ontohub/ontohub/changeset"
	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/metrics"
	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/snapshot"
	"github.com/ontohub/ontohub/store"
	"github.com/ontohub/ontohub/validate"
)

// CodeRebaseConflict is the warning a validation adds for each entity the draft changes that
// was changed upstream since.
const CodeRebaseConflict = "rebase_conflict"

// changeLimits are the draft limits of the configuration.
func (s *Server) changeLimits() changeset.Limits {
	return changeset.Limits{MaxChanges: s.cfg.DraftMaxChanges, MaxEntityBytes: s.cfg.DraftMaxEntityBytes}
}

// changeRequest is the changeset form of a request's change.
func changeRequest(r gen.ChangeRequest) changeset.Request {
	return changeset.Request{ChangeType: string(r.ChangeType), EntityType: string(r.EntityType), EntityID: r.EntityId,
		Entity: r.Entity, Patch: r.Patch}
}

// changeProblem answers a change that cannot be applied; prefix names where the change is in
// the request ("changes/3" in a draft creation, "" on its own).
func changeProblem(err error, prefix string) (problemAnswer, error) {
	var ce *changeset.Error
	if !errors.As(err, &ce) {
		return problemAnswer{}, err
	}
	field := ce.Field
	if prefix != "" {
		field = prefix + "/" + field
		if ce.Field == "" {
			field = prefix
		}
	}
	detail := ce.Message
	if field != "" {
		detail = field + ": " + ce.Message
	}
	var errs []gen.FieldError
	if field != "" || ce.Status == http.StatusUnprocessableEntity {
		// A limit is about the body as a whole (field ""); still named in errors.
		errs = append(errs, gen.FieldError{Location: gen.FieldErrorLocationBody, Field: field, Message: ce.Message})
	}
	return problemAnswer(newProblem(ce.Status, detail, errs...)), nil
}

// AddDraftChange merges one change into the draft's change set.
func (s *Server) AddDraftChange(ctx context.Context, req gen.AddDraftChangeRequestObject) (gen.AddDraftChangeResponseObject, error) {
	capabilityHash, ok := capabilityHash(req.Token)
	if !ok {
		return problemAnswer(draftNotFound()), nil
	}
	snap := s.snapshot(ctx)
	stored, err := s.store.EditChanges(ctx, capabilityHash, func(_ store.Draft, changes []store.Change) (store.ChangeSetEdit, error) {
		return changeset.Apply(changes, snap, changeRequest(*req.Body), s.changeLimits())
	})
	if answer, ok, err := draftEditError(err); ok {
		return answer, err
	}
	if stored == nil {
		return gen.AddDraftChange204Response{Headers: gen.AddDraftChange204ResponseHeaders{CacheControl: noStore()}}, nil
	}
	return draftJSON{changeBody(snap, *stored)}, nil
}

// draftEditError turns an error of an edit of a draft into its answer; ok is false for nil.
func draftEditError(err error) (problemAnswer, bool, error) {
	var conflict *store.DraftConflictError
	var ce *changeset.Error
	switch {
	case err == nil:
		return problemAnswer{}, false, nil
	case errors.Is(err, store.ErrNotFound):
		return problemAnswer(draftNotFound()), true, nil
	case errors.As(err, &conflict):
		return problemAnswer(newProblem(http.StatusConflict, conflict.Reason)), true, nil
	case errors.As(err, &ce):
		answer, err := changeProblem(ce, "")
		return answer, true, err
	}
	return problemAnswer{}, true, err
}

// changeBody is the API form of a stored change.
func changeBody(snap *snapshot.Snapshot, c store.Change) gen.DraftChange {
	return gen.DraftChange{
		Id: c.ID, ChangeType: gen.DraftChangeChangeType(c.ChangeType), EntityType: gen.EntityType(c.EntityType), EntityId: c.EntityID,
		Entity: c.Entity, Patch: c.Patch, Conflict: conflicted(snap, c), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

// ListDraftChanges lists the draft's change set.
func (s *Server) ListDraftChanges(ctx context.Context, req gen.ListDraftChangesRequestObject) (gen.ListDraftChangesResponseObject, error) {
	_, changes, answer, err := s.draftWithChanges(ctx, req.Token)
	if answer != nil || err != nil {
		return answer, err
	}
	snap := s.snapshot(ctx)
	items := make([]gen.DraftChange, len(changes))
	for i, c := range changes {
		items[i] = changeBody(snap, c)
	}
	return draftJSON{gen.DraftChangeList{Items: items}}, nil
}

// DeleteDraftChange removes one change from the change set.
func (s *Server) DeleteDraftChange(ctx context.Context, req gen.DeleteDraftChangeRequestObject) (gen.DeleteDraftChangeResponseObject, error) {
	capabilityHash, ok := capabilityHash(req.Token)
	if !ok {
		return problemAnswer(draftNotFound()), nil
	}
	_, err := s.store.EditChanges(ctx, capabilityHash, func(_ store.Draft, changes []store.Change) (store.ChangeSetEdit, error) {
		for _, c := range changes {
			if c.ID == req.ChangeId {
				return store.ChangeSetEdit{Remove: c.ID}, nil
			}
		}
		return store.ChangeSetEdit{}, errChangeNotFound
	})
	if errors.Is(err, errChangeNotFound) {
		return problemAnswer(newProblem(http.StatusNotFound, detailChangeNotFound)), nil
	}
	if answer, ok, err := draftEditError(err); ok {
		return answer, err
	}
	return gen.DeleteDraftChange204Response{Headers: gen.DeleteDraftChange204ResponseHeaders{CacheControl: noStore()}}, nil
}

var errChangeNotFound = errors.New("no such change in the draft")

const detailChangeNotFound = "Change not found"

// ValidateDraft checks the canonical ontology with the draft applied and, when there is no
// error, marks the draft validated for the revision it checked.
func (s *Server) ValidateDraft(ctx context.Context, req gen.ValidateDraftRequestObject) (gen.ValidateDraftResponseObject, error) {
	// The turn first: a queue of waiting validations must not hold a change set each.
	if !s.heavy.acquire(ctx) {
		return busyAnswer{}, nil
	}
	defer s.heavy.release()
	draft, changes, answer, err := s.draftWithChanges(ctx, req.Token)
	if answer != nil || err != nil {
		return answer, err
	}
	snap := s.snapshot(ctx)
	report, err := checkDraft(snap, changes)
	if err != nil {
		metrics.DraftValidations.WithLabelValues(metrics.OutcomeFailure).Inc()
		return nil, err
	}
	outcome := metrics.ValidationInvalid
	if report.Valid {
		outcome = metrics.ValidationValid
	}
	metrics.DraftValidations.WithLabelValues(outcome).Inc()
	status := draft.Status
	if report.Valid {
		if status, err = s.store.MarkValidated(ctx, draft.ID, draft.Revision); errors.Is(err, store.ErrNotFound) {
			return problemAnswer(draftNotFound()), nil
		} else if err != nil {
			return nil, err
		}
	}
	body, err := reportBody(report, status)
	if err != nil {
		return nil, err
	}
	if raw, err := json.Marshal(body); err != nil {
		return nil, fmt.Errorf("server: encode report: %w", err)
	} else if err := s.store.SaveValidation(ctx, draft.ID, draft.Revision, raw); err != nil {
		return nil, err
	}
	return draftJSON{body}, nil
}

// checkDraft runs the validation engine on snap with changes applied, and warns of each
// rebase conflict.
func checkDraft(snap *snapshot.Snapshot, changes []store.Change) (validate.Report, error) {
	canonical, err := snap.Validation()
	if err != nil {
		return validate.Report{}, fmt.Errorf("server: prepare validation: %w", err)
	}
	vc := make([]validate.Change, len(changes))
	for i, c := range changes {
		vc[i] = validate.Change{Kind: ontology.Kind(c.EntityType), ID: c.EntityID, Data: c.Entity}
	}
	report := canonical.CheckChanges(vc)
	for _, c := range changes {
		if conflicted(snap, c) {
			report.Findings = append(report.Findings, validate.Finding{
				Severity: validate.SeverityWarning, Code: CodeRebaseConflict, EntityType: c.EntityType, EntityID: c.EntityID,
				File:    snap.FilePath(ontology.Kind(c.EntityType), c.EntityID),
				Message: fmt.Sprintf("%s %q was changed upstream after this draft changed it; review the change against the current version", c.EntityType, c.EntityID),
			})
		}
	}
	return report, nil
}

// reportBody is the API form of a report: the engine's JSON (the same the CLI prints) plus the
// draft's status.
func reportBody(report validate.Report, status string) (gen.ValidationReport, error) {
	raw, err := json.Marshal(report)
	if err != nil {
		return gen.ValidationReport{}, fmt.Errorf("server: encode report: %w", err)
	}
	var body gen.ValidationReport
	if err := json.Unmarshal(raw, &body); err != nil {
		return gen.ValidationReport{}, fmt.Errorf("server: decode report: %w", err)
	}
	body.Status = gen.DraftStatus(status)
	return body, nil
}

// GetDraftDiff answers each change as before, after and the JSON Patch between them.
func (s *Server) GetDraftDiff(ctx context.Context, req gen.GetDraftDiffRequestObject) (gen.GetDraftDiffResponseObject, error) {
	_, changes, answer, err := s.draftWithChanges(ctx, req.Token)
	if answer != nil || err != nil {
		return answer, err
	}
	snap := s.snapshot(ctx)
	items := make([]gen.DraftDiffEntry, 0, len(changes))
	for _, c := range changes {
		before, _, _ := snap.Canonical(c.EntityType, c.EntityID)
		patch, err := diffPatch(before, c.Entity)
		if err != nil {
			return nil, err
		}
		items = append(items, gen.DraftDiffEntry{ChangeId: c.ID, ChangeType: gen.DraftDiffEntryChangeType(c.ChangeType),
			EntityType: gen.EntityType(c.EntityType), EntityId: c.EntityID, Before: before, After: c.Entity, Patch: patch})
	}
	return draftJSON{gen.DraftDiff{Items: items}}, nil
}

// diffPatch is the RFC 6902 patch from before to after; empty when either is missing (a create
// or delete is the whole entity).
func diffPatch(before, after []byte) (json.RawMessage, error) {
	if before == nil || after == nil {
		return json.RawMessage("[]"), nil
	}
	return changeset.Diff(before, after)
}

// draftWithChanges reads the draft of token with its change set; a token that names no live
// draft is answered with the one draft 404.
func (s *Server) draftWithChanges(ctx context.Context, token string) (store.Draft, []store.Change, *problemAnswer, error) {
	return s.readDraft(ctx, token, s.store.DraftWithChanges)
}

// readDraft reads the draft of token with read; a token that names no live draft is answered
// with the one draft 404.
func (s *Server) readDraft(ctx context.Context, token string, read func(context.Context, string) (store.Draft, []store.Change, error)) (store.Draft, []store.Change, *problemAnswer, error) {
	hash, ok := capabilityHash(token)
	if !ok {
		answer := problemAnswer(draftNotFound())
		return store.Draft{}, nil, &answer, nil
	}
	d, changes, err := read(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		answer := problemAnswer(draftNotFound())
		return store.Draft{}, nil, &answer, nil
	}
	return d, changes, nil, err
}

// problemAnswer is a problem+json answer standing in for the typed error responses of the
// draft operations (each status of each operation has its own generated type; they all write
// the same document).
type problemAnswer gen.Problem

func (p problemAnswer) write(w http.ResponseWriter) error {
	writeProblem(w, gen.Problem(p))
	return nil
}

func (p problemAnswer) VisitCreateDraftResponse(w http.ResponseWriter) error       { return p.write(w) }
func (p problemAnswer) VisitGetDraftResponse(w http.ResponseWriter) error          { return p.write(w) }
func (p problemAnswer) VisitUpdateDraftResponse(w http.ResponseWriter) error       { return p.write(w) }
func (p problemAnswer) VisitDeleteDraftResponse(w http.ResponseWriter) error       { return p.write(w) }
func (p problemAnswer) VisitAddDraftChangeResponse(w http.ResponseWriter) error    { return p.write(w) }
func (p problemAnswer) VisitListDraftChangesResponse(w http.ResponseWriter) error  { return p.write(w) }
func (p problemAnswer) VisitDeleteDraftChangeResponse(w http.ResponseWriter) error { return p.write(w) }
func (p problemAnswer) VisitValidateDraftResponse(w http.ResponseWriter) error     { return p.write(w) }
func (p problemAnswer) VisitGetDraftDiffResponse(w http.ResponseWriter) error      { return p.write(w) }
func (p problemAnswer) VisitGetDraftPatchResponse(w http.ResponseWriter) error     { return p.write(w) }
func (p problemAnswer) VisitSubmitDraftResponse(w http.ResponseWriter) error       { return p.write(w) }
