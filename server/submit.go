package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/gitrepo"
	"github.com/ontohub/ontohub/metrics"
	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/store"
	"github.com/ontohub/ontohub/validate"
)

// Submitter pushes change sets to the schema repository (gitrepo.Repo).
type Submitter interface {
	// Propose commits cs on branch, pushes it and, on GitHub, opens a pull request.
	Propose(ctx context.Context, cs gitrepo.ChangeSet, branch, apiURL string) (gitrepo.Proposal, error)
	// Remote is the repository pushed to.
	Remote() gitrepo.Remote
}

// GetDraftPatch answers the change set as a git format-patch email against the base commit.
func (s *Server) GetDraftPatch(ctx context.Context, req gen.GetDraftPatchRequestObject) (gen.GetDraftPatchResponseObject, error) {
	draft, changes, answer, err := s.draftWithChanges(ctx, req.Token)
	if answer != nil || err != nil {
		return answer, err
	}
	cs, problem, err := s.changeSet(ctx, draft, changes, nil, "", "")
	if problem != nil || err != nil {
		return problem, err
	}
	patch, err := gitrepo.Patch(cs)
	if errors.Is(err, gitrepo.ErrInvalidChangeSet) {
		return conflictAnswer(err.Error()), nil
	}
	if err != nil {
		return nil, fmt.Errorf("server: draft patch: %w", err)
	}
	return patchAnswer(patch), nil
}

// patchAnswer is the text/x-patch answer of GetDraftPatch.
type patchAnswer []byte

func (p patchAnswer) VisitGetDraftPatchResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "text/x-patch; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", fmt.Sprint(len(p)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(p)
	return err
}

// SubmitDraft re-validates a validated draft, pushes it as a branch and marks it submitted.
func (s *Server) SubmitDraft(ctx context.Context, req gen.SubmitDraftRequestObject) (gen.SubmitDraftResponseObject, error) {
	// The turn first: a queue of waiting submits must not hold a change set each. It is held
	// through the push, so submits run one by one per turn.
	if !s.heavy.acquire(ctx) {
		return busyAnswer{}, nil
	}
	defer s.heavy.release()
	draft, changes, answer, err := s.draftWithChanges(ctx, req.Token)
	if answer != nil || err != nil {
		return answer, err
	}
	if s.cfg.Submitter == nil {
		return conflictAnswer("this hub follows no schema repository (ONTOLOGY_REPO_URL), so drafts cannot be submitted; GET /api/v1/drafts/{token}/patch gives the change set as a patch"), nil
	}
	if draft.Status == store.DraftSubmitted && draft.Submission != nil {
		// A repeated submit answers what the first one did; nothing is pushed again.
		return submissionAnswer(s.cfg.Submitter, *draft.Submission), nil
	}
	if draft.Status != store.DraftValidated {
		return conflictAnswer("only a validated draft can be submitted: validate it first (POST /api/v1/drafts/{token}/validate)"), nil
	}
	snap := s.snapshot(ctx)
	report, err := checkDraft(snap, changes)
	if err != nil {
		return nil, err
	}
	if !report.Valid {
		return conflictAnswer("the draft is no longer valid against the ontology served now; validate it again to see why"), nil
	}
	var body gen.DraftSubmit
	if req.Body != nil {
		body = *req.Body
	}
	subject := draftSubject(draft, body.Title)
	message := ""
	if body.Message != nil {
		message = *body.Message
	}
	versions := &report
	if body.ApplyVersions == nil || !*body.ApplyVersions {
		versions = nil
	}
	cs, problem, err := s.changeSet(ctx, draft, changes, versions, subject, commitBody(draft, message, report))
	if problem != nil || err != nil {
		return problem, err
	}
	proposal, err := s.cfg.Submitter.Propose(ctx, cs, gitrepo.DraftBranch(draft.ID.String()[:8]), s.cfg.GitHubAPIURL)
	switch {
	case errors.Is(err, gitrepo.ErrPullRequest):
		// The branch is pushed; the pull request can be opened by hand.
		s.log.Warn("draft submitted, but the pull request was not opened", "branch", proposal.Branch, "error", err)
	case errors.Is(err, gitrepo.ErrConflict), errors.Is(err, gitrepo.ErrBranchTaken), errors.Is(err, gitrepo.ErrBaseUnknown),
		errors.Is(err, gitrepo.ErrInvalidChangeSet):
		metrics.DraftSubmits.WithLabelValues(metrics.OutcomeFailure).Inc()
		return conflictAnswer(err.Error()), nil
	case errors.Is(err, gitrepo.ErrRemote):
		metrics.DraftSubmits.WithLabelValues(metrics.OutcomeFailure).Inc()
		return problemAnswer(newProblem(http.StatusBadGateway, err.Error())), nil
	case err != nil:
		metrics.DraftSubmits.WithLabelValues(metrics.OutcomeFailure).Inc()
		return nil, err
	}
	sub := store.Submission{Branch: proposal.Branch, CommitSHA: proposal.Commit}
	if proposal.PullRequestURL != "" {
		sub.PullRequestURL = &proposal.PullRequestURL
	}
	if _, err := s.store.MarkSubmitted(ctx, draft.ID, draft.Revision, sub); err != nil {
		var conflict *store.DraftConflictError
		if errors.As(err, &conflict) {
			return conflictAnswer(conflict.Reason + fmt.Sprintf(" (the branch %s was pushed)", proposal.Branch)), nil
		}
		return nil, err
	}
	metrics.DraftSubmits.WithLabelValues(metrics.OutcomeSuccess).Inc()
	return submissionAnswer(s.cfg.Submitter, sub), nil
}

func conflictAnswer(detail string) problemAnswer {
	return problemAnswer(newProblem(http.StatusConflict, detail))
}

func submissionAnswer(sub Submitter, st store.Submission) gen.SubmitDraft200JSONResponse {
	body := gen.DraftSubmission{Branch: st.Branch, CommitSha: st.CommitSHA, PullRequestUrl: st.PullRequestURL}
	if compare := sub.Remote().CompareURL(st.Branch); compare != "" {
		body.CompareUrl = &compare
	}
	return gen.SubmitDraft200JSONResponse{Body: body, Headers: gen.SubmitDraft200ResponseHeaders{CacheControl: noStore()}}
}

// draftSubject is the commit's subject line: the one asked for, else the draft's title, else a
// count of the changes.
func draftSubject(d store.Draft, asked *string) string {
	for _, s := range []*string{asked, d.Title} {
		if s != nil && strings.TrimSpace(*s) != "" {
			return strings.Join(strings.Fields(*s), " ")
		}
	}
	return fmt.Sprintf("Ontology Hub draft %s: %d changes", d.ID.String()[:8], d.ChangeCount)
}

// commitBody is the commit message after the subject: the submitter's message, every changed
// entity with its bump, and the suggested versions.
func commitBody(d store.Draft, message string, report validate.Report) string {
	var b strings.Builder
	if m := strings.TrimSpace(message); m != "" {
		b.WriteString(m + "\n\n")
	}
	b.WriteString("Changes:\n")
	for _, c := range report.Changes {
		fmt.Fprintf(&b, "- %s %s %s (%s)\n", c.ChangeType, c.EntityType, c.EntityID, c.Bump)
	}
	if len(report.Versions) > 0 {
		b.WriteString("\nSuggested versions:\n")
		for _, v := range report.Versions {
			if v.CurrentVersion == "" && v.SuggestedVersion == "" {
				continue // nothing to bump (no VERSION file, say)
			}
			name := v.Kind + " " + v.ID
			if v.Kind == validate.AdviceOntology {
				name = "ontology (VERSION)"
			}
			fmt.Fprintf(&b, "- %s: %s -> %s (%s)\n", name, orNone(v.CurrentVersion), orNone(v.SuggestedVersion), v.Bump)
		}
	}
	fmt.Fprintf(&b, "\nProposed through Ontology Hub (draft %s).\n", d.ID)
	return b.String()
}

func orNone(v string) string {
	if v == "" {
		return "none"
	}
	return v
}

// changeSet turns a draft into the files of a commit on its base: each changed entity's file as
// the repository writes it, against the file as ingested. With versions, every module and
// bundle the report advises a new version for gets it. A draft without a base commit, or with
// a rebase conflict (its files would not fit the base), is answered 409.
func (s *Server) changeSet(ctx context.Context, d store.Draft, changes []store.Change, versions *validate.Report, subject, body string) (gitrepo.ChangeSet, *problemAnswer, error) {
	snap := s.snapshot(ctx)
	if d.BaseCommitSHA == nil {
		p := conflictAnswer("the draft has no base commit (the ontology it was made on came from no known commit)")
		return gitrepo.ChangeSet{}, &p, nil
	}
	if conflicting := conflicts(snap, changes); len(conflicting) > 0 {
		p := conflictAnswer(fmt.Sprintf("the draft has a rebase conflict (%s %s was changed upstream); resolve it first",
			conflicting[0].EntityType, conflicting[0].EntityId))
		return gitrepo.ChangeSet{}, &p, nil
	}
	after := map[[2]string][]byte{}
	var order [][2]string
	for _, c := range changes {
		key := [2]string{c.EntityType, c.EntityID}
		after[key] = c.Entity
		order = append(order, key)
	}
	if versions != nil {
		for _, v := range versions.Versions {
			if (v.Kind != validate.AdviceModule && v.Kind != validate.AdviceBundle) || v.SuggestedVersion == "" || v.SuggestedVersion == v.CurrentVersion {
				continue
			}
			key := [2]string{v.Kind, v.ID}
			entity, changed := after[key]
			if !changed {
				def, _, ok := snap.Canonical(v.Kind, v.ID)
				if !ok {
					continue
				}
				entity = def
				order = append(order, key)
			}
			if entity == nil {
				continue // deleted by the draft
			}
			bumped, err := setVersion(entity, v.SuggestedVersion)
			if err != nil {
				return gitrepo.ChangeSet{}, nil, err
			}
			after[key] = bumped
		}
	}
	sources, err := s.store.EntitySources(ctx, order)
	if err != nil {
		return gitrepo.ChangeSet{}, nil, err
	}
	cs := gitrepo.ChangeSet{Base: *d.BaseCommitSHA, Subject: subject, Body: body, Author: s.cfg.SubmitAuthor}
	if cs.Subject == "" {
		cs.Subject = draftSubject(d, nil)
	}
	for _, key := range order {
		path := snap.FilePath(ontology.Kind(key[0]), key[1])
		var before []byte
		if src, ok := sources[key]; ok {
			path, before = src.FilePath, src.Source
		}
		file, err := gitrepo.EntityFile(path, before, after[key])
		if err != nil {
			return gitrepo.ChangeSet{}, nil, err
		}
		cs.Files = append(cs.Files, file)
	}
	return cs, nil, nil
}

// setVersion sets an entity's "version", keeping its other keys in their order.
func setVersion(entity []byte, version string) ([]byte, error) {
	op := fmt.Sprintf(`[{"op":"add","path":"/version","value":%q}]`, version)
	patch, err := jsonpatch.DecodePatch([]byte(op))
	if err != nil {
		return nil, err
	}
	opts := jsonpatch.NewApplyOptions()
	opts.EscapeHTML = false
	out, err := patch.ApplyWithOptions(entity, opts)
	if err != nil {
		return nil, fmt.Errorf("server: set version: %w", err)
	}
	return out, nil
}
