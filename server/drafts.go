package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/ontohub/ontohub/changeset"
	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/metrics"
	"github.com/ontohub/ontohub/snapshot"
	"github.com/ontohub/ontohub/store"
)

// capabilityMessage tells the creator of a draft that the URL is the only key to it.
const capabilityMessage = "Save this URL - it cannot be recovered. Anyone with it can view and edit this draft."

// tokenBytes is the entropy of a capability token: 256 bits.
const tokenBytes = 32

// tokenEncoding spells tokens in URL- and fragment-safe characters without padding (43 of them).
var tokenEncoding = base64.RawURLEncoding.Strict()

// noStore returns the Cache-Control of every draft response: a draft is a secret.
func noStore() *string {
	v := "no-store"
	return &v
}

// newCapabilityToken returns a fresh token and the hex SHA-256 that is all the database keeps.
func newCapabilityToken() (token, capabilityHash string) {
	var b [tokenBytes]byte
	// crypto/rand.Read never fails (it crashes the program instead, since Go 1.24).
	_, _ = rand.Read(b[:])
	token = tokenEncoding.EncodeToString(b[:])
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// capabilityHash returns the hash to look token up by, and false for anything that cannot be a
// token (wrong length or alphabet), which then finds no draft without a query.
func capabilityHash(token string) (string, bool) {
	if len(token) != tokenEncoding.EncodedLen(tokenBytes) {
		return "", false
	}
	if b, err := tokenEncoding.DecodeString(token); err != nil || len(b) != tokenBytes {
		return "", false
	}
	return hashToken(token), true
}

// draftNotFound is the one answer for unknown, malformed, expired and withdrawn tokens. Every
// operation encodes this same value the same way, so the bodies are identical byte for byte.
func draftNotFound() gen.Problem {
	return newProblem(http.StatusNotFound, detailDraftNotFound)
}

// CreateDraft stores a new draft, pinned to the commit served now, with the change set it may
// carry (all or nothing), and returns its capability URL, the only time the token is seen.
func (s *Server) CreateDraft(ctx context.Context, req gen.CreateDraftRequestObject) (gen.CreateDraftResponseObject, error) {
	base, ok := ctx.Value(baseURLKey{}).(string)
	if !ok {
		return nil, errors.New("server: create draft: no base URL in context (withBaseURL not installed)")
	}
	snap := s.snapshot(ctx)
	var changes []store.Change
	if req.Body.Changes != nil {
		for i, r := range *req.Body.Changes {
			edit, err := changeset.Apply(changes, snap, changeRequest(r), s.changeLimits())
			if err != nil {
				return changeProblem(err, fmt.Sprintf("changes/%d", i))
			}
			changes = applyEdit(changes, edit)
		}
	}
	token, capabilityHash := newCapabilityToken()
	draft, err := s.store.CreateDraft(ctx, store.NewDraft{
		CapabilityHash: capabilityHash,
		Title:          req.Body.Title,
		Description:    req.Body.Description,
		Payload:        req.Body.Payload,
		SourceWiki:     req.Body.SourceWiki,
		BaseCommitSHA:  snap.CommitSHA,
		BaseGeneration: snap.Generation,
		Changes:        changes,
		TTL:            s.cfg.DraftTTL,
	})
	if err != nil {
		return nil, err
	}
	metrics.DraftsCreated.Inc()
	location := base + "/api/v1/drafts/" + token
	return gen.CreateDraft201JSONResponse{
		Body: gen.DraftCreated{
			CapabilityUrl: base + "/drafts#" + token,
			ExpiresAt:     draft.ExpiresAt,
			Message:       capabilityMessage,
		},
		Headers: gen.CreateDraft201ResponseHeaders{CacheControl: noStore(), Location: &location},
	}, nil
}

// applyEdit returns the change set changes after edit, as the store will hold it.
func applyEdit(changes []store.Change, edit store.ChangeSetEdit) []store.Change {
	out := changes[:0:0]
	for _, c := range changes {
		if edit.Remove != uuid.Nil && c.ID == edit.Remove {
			continue
		}
		if edit.Put != nil && c.EntityType == edit.Put.EntityType && c.EntityID == edit.Put.EntityID {
			continue
		}
		out = append(out, c)
	}
	if edit.Put != nil {
		put := *edit.Put
		if put.ID == uuid.Nil {
			// Changes of a draft being created have no id yet; the set tells them apart by one.
			put.ID = uuid.New()
		}
		out = append(out, put)
	}
	return out
}

// GetDraft returns the draft the token points to, with its rebase status against the ontology
// served now.
func (s *Server) GetDraft(ctx context.Context, req gen.GetDraftRequestObject) (gen.GetDraftResponseObject, error) {
	draft, changes, answer, err := s.readDraft(ctx, req.Token, s.store.DraftWithChangeKeys)
	if answer != nil || err != nil {
		return answer, err
	}
	return draftJSON{draftBody(draft, conflicts(s.snapshot(ctx), changes))}, nil
}

// UpdateDraft applies a PATCH with replace semantics per field; the store enforces what a PATCH
// may do and answers ErrConflict otherwise.
func (s *Server) UpdateDraft(ctx context.Context, req gen.UpdateDraftRequestObject) (gen.UpdateDraftResponseObject, error) {
	capabilityHash, ok := capabilityHash(req.Token)
	if !ok {
		return problemAnswer(draftNotFound()), nil
	}
	update, err := draftUpdate(req.Body)
	if err != nil {
		// The validator admits only what the contract allows; this is a body the decoder read
		// differently (say, a duplicated key).
		return problemAnswer(newProblem(http.StatusBadRequest, detailInvalid, gen.FieldError{Location: gen.FieldErrorLocationBody, Message: err.Error()})), nil
	}
	draft, err := s.store.UpdateDraft(ctx, capabilityHash, update)
	var conflict *store.DraftConflictError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return problemAnswer(draftNotFound()), nil
	case errors.As(err, &conflict):
		return problemAnswer(newProblem(http.StatusConflict, conflict.Reason)), nil
	case err != nil:
		return nil, err
	}
	_, changes, err := s.store.DraftWithChangeKeys(ctx, capabilityHash)
	if err != nil {
		return nil, err
	}
	return draftJSON{draftBody(draft, conflicts(s.snapshot(ctx), changes))}, nil
}

// draftUpdate turns a PATCH body into a store update: absent fields stay, null clears.
func draftUpdate(body *gen.DraftUpdate) (store.DraftUpdate, error) {
	if body == nil {
		return store.DraftUpdate{}, errors.New("missing body")
	}
	u := store.DraftUpdate{Payload: body.Payload}
	if body.Status != nil {
		u.Status = string(*body.Status)
	}
	for _, f := range []struct {
		name  string
		field nullable.Nullable[string]
		into  *store.OptionalString
	}{
		{"title", body.Title, &u.Title},
		{"description", body.Description, &u.Description},
		{"source_wiki", body.SourceWiki, &u.SourceWiki},
		{"base_commit_sha", body.BaseCommitSha, &u.BaseCommitSHA},
	} {
		v, err := optionalString(f.field)
		if err != nil {
			return store.DraftUpdate{}, fmt.Errorf("%s: %w", f.name, err)
		}
		*f.into = v
	}
	return u, nil
}

// optionalString reads a nullable, optional field: not specified, null, or a value.
func optionalString(field nullable.Nullable[string]) (store.OptionalString, error) {
	switch {
	case !field.IsSpecified():
		return store.OptionalString{}, nil
	case field.IsNull():
		return store.OptionalString{Set: true}, nil
	}
	v, err := field.Get()
	if err != nil {
		return store.OptionalString{}, err
	}
	return store.OptionalString{Set: true, Value: &v}, nil
}

// DeleteDraft withdraws the draft; its token gives 404 from then on.
func (s *Server) DeleteDraft(ctx context.Context, req gen.DeleteDraftRequestObject) (gen.DeleteDraftResponseObject, error) {
	capabilityHash, ok := capabilityHash(req.Token)
	if !ok {
		return problemAnswer(draftNotFound()), nil
	}
	err := s.store.DeleteDraft(ctx, capabilityHash)
	if errors.Is(err, store.ErrNotFound) {
		return problemAnswer(draftNotFound()), nil
	}
	if err != nil {
		return nil, err
	}
	return gen.DeleteDraft204Response{Headers: gen.DeleteDraft204ResponseHeaders{CacheControl: noStore()}}, nil
}

// draftBody is the API form of a stored draft and the entities of its changes that changed
// upstream since.
func draftBody(d store.Draft, conflicting []gen.EntityKey) gen.Draft {
	rebase := gen.RebaseStatusClean
	if len(conflicting) > 0 {
		rebase = gen.RebaseStatusConflict
	}
	return gen.Draft{
		Id:             d.ID,
		Status:         gen.DraftStatus(d.Status),
		Title:          d.Title,
		Description:    d.Description,
		Payload:        d.Payload,
		SourceWiki:     d.SourceWiki,
		BaseCommitSha:  d.BaseCommitSHA,
		ChangeCount:    d.ChangeCount,
		RebaseStatus:   rebase,
		Conflicts:      conflicting,
		LastValidation: lastValidation(d),
		ExpiresAt:      d.ExpiresAt,
		CreatedAt:      d.CreatedAt,
		UpdatedAt:      d.UpdatedAt,
	}
}

// lastValidation is the draft's last validation report as kept, nil before the first.
func lastValidation(d store.Draft) *gen.LastValidation {
	if d.LastValidation == nil || d.LastValidationAt == nil || d.LastValidationRevision == nil {
		return nil
	}
	var report gen.ValidationReport
	if err := json.Unmarshal(d.LastValidation, &report); err != nil {
		// The server wrote it; a report it cannot read back is shown as none rather than failing the draft.
		return nil
	}
	return &gen.LastValidation{CheckedAt: *d.LastValidationAt, Current: *d.LastValidationRevision == d.Revision, Report: report}
}

// conflicts lists the entities changed by the draft that changed upstream after the change was
// made: the canonical entity's generation is no longer the one the change was made against (it
// was changed, deleted, or created upstream).
func conflicts(snap *snapshot.Snapshot, changes []store.Change) []gen.EntityKey {
	out := []gen.EntityKey{}
	for _, c := range changes {
		if conflicted(snap, c) {
			out = append(out, gen.EntityKey{EntityType: gen.EntityType(c.EntityType), EntityId: c.EntityID})
		}
	}
	return out
}

func conflicted(snap *snapshot.Snapshot, c store.Change) bool {
	_, changed, exists := snap.Canonical(c.EntityType, c.EntityID)
	if c.BaseGeneration == nil {
		return exists
	}
	return !exists || changed != *c.BaseGeneration
}

// requireDraft answers a request to a draft whose token is malformed or names no live draft
// with the one draft 404, before its body is read or validated: a client cannot make the
// server read and decode megabytes for a draft that does not exist.
func (s *Server) requireDraft(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hash, ok := capabilityHash(r.PathValue("token"))
		if ok {
			ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
			exists, err := s.store.DraftExists(ctx, hash)
			cancel()
			if err != nil {
				s.responseError(w, r, err)
				return
			}
			ok = exists
		}
		if !ok {
			writeProblem(w, newProblem(http.StatusNotFound, detailDraftNotFound))
			return
		}
		next.ServeHTTP(w, r)
	})
}
