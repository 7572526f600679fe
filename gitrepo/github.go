package gitrepo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// GitHubRepository returns the owner and name of a repository on github.com from its remote URL
// (https://github.com/OWNER/NAME or …/NAME.git); ok is false for any other URL.
func GitHubRepository(remoteURL string) (owner, name string, ok bool) {
	u, err := url.Parse(remoteURL)
	if err != nil || u.Scheme != "https" || !strings.EqualFold(u.Hostname(), "github.com") {
		return "", "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], strings.TrimSuffix(parts[1], ".git"), true
}

// CompareURL is GitHub's page comparing branch with the followed branch, where a pull request
// can be opened by hand; "" when the remote is not on GitHub.
func (r Remote) CompareURL(branch string) string {
	owner, name, ok := GitHubRepository(r.URL)
	if !ok {
		return ""
	}
	return fmt.Sprintf("https://github.com/%s/%s/compare/%s...%s", owner, name, r.RefName().Short(), branch)
}

// GitHub opens pull requests through GitHub's REST API. This was tested against a local server
// that checks the requests GitHub documents, never against GitHub itself.
type GitHub struct {
	// APIURL is the API's base, https://api.github.com (GITHUB_API_URL).
	APIURL string
	// Token is sent as a bearer token; it needs pull request write access to the repository.
	Token string
	// Client makes the requests; nil uses one with a 30-second timeout.
	Client *http.Client
}

// PullRequest is the pull request OpenPullRequest asks for.
type PullRequest struct {
	// Owner and Repo name the repository (see GitHubRepository).
	Owner string
	Repo  string
	Title string
	Body  string
	// Head is the branch with the changes, Base the branch they are proposed for.
	Head string
	Base string
}

// OpenPullRequest opens the pull request and returns its web address. When one is already open
// from Head into Base (a repeated submit), it returns that one's address instead of failing.
// Failures match ErrRemote and carry GitHub's message, never the token.
func (g GitHub) OpenPullRequest(ctx context.Context, pr PullRequest) (string, error) {
	body, err := json.Marshal(map[string]string{"title": pr.Title, "head": pr.Head, "base": pr.Base, "body": pr.Body})
	if err != nil {
		return "", fmt.Errorf("gitrepo: pull request: %w", err)
	}
	pulls := fmt.Sprintf("%s/repos/%s/%s/pulls", strings.TrimRight(g.APIURL, "/"), url.PathEscape(pr.Owner), url.PathEscape(pr.Repo))
	status, answer, err := g.do(ctx, http.MethodPost, pulls, body)
	if err != nil {
		return "", err
	}
	switch {
	case status == http.StatusCreated:
		var created struct {
			HTMLURL string `json:"html_url"`
		}
		if err := json.Unmarshal(answer, &created); err != nil || created.HTMLURL == "" {
			return "", g.fail("unexpected answer to opening a pull request", status, answer)
		}
		return created.HTMLURL, nil
	case status == http.StatusUnprocessableEntity && bytes.Contains(answer, []byte("already exists")):
		return g.openPullRequest(ctx, pulls, pr)
	}
	return "", g.fail("open pull request", status, answer)
}

// openPullRequest finds the open pull request from pr.Head into pr.Base.
func (g GitHub) openPullRequest(ctx context.Context, pulls string, pr PullRequest) (string, error) {
	query := url.Values{"head": {pr.Owner + ":" + pr.Head}, "base": {pr.Base}, "state": {"open"}}
	status, answer, err := g.do(ctx, http.MethodGet, pulls+"?"+query.Encode(), nil)
	if err != nil {
		return "", err
	}
	var open []struct {
		HTMLURL string `json:"html_url"`
	}
	if status != http.StatusOK || json.Unmarshal(answer, &open) != nil || len(open) == 0 || open[0].HTMLURL == "" {
		return "", g.fail("find the open pull request", status, answer)
	}
	return open[0].HTMLURL, nil
}

// do sends one API request with GitHub's recommended headers and returns the status and up to
// 1 MiB of the answer.
func (g GitHub) do(ctx context.Context, method, target string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("gitrepo: github: %w", err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("Authorization", "Bearer "+g.Token)
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", "ontohub")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := g.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, &Error{msg: g.scrub("gitrepo: github: " + err.Error()), cause: fmt.Errorf("%w: %w", ErrRemote, err)}
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, &Error{msg: g.scrub("gitrepo: github: read answer: " + err.Error()), cause: fmt.Errorf("%w: %w", ErrRemote, err)}
	}
	return resp.StatusCode, answer, nil
}

// fail is a refused API call as an error matching ErrRemote, with GitHub's message.
func (g GitHub) fail(what string, status int, answer []byte) error {
	var e struct {
		Message string `json:"message"`
		Errors  []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	reason := strings.TrimSpace(string(answer))
	if json.Unmarshal(answer, &e) == nil && e.Message != "" {
		reason = e.Message
		for _, d := range e.Errors {
			if d.Message != "" {
				reason += "; " + d.Message
			}
		}
	}
	if len(reason) > 500 {
		reason = reason[:500] + "…"
	}
	msg := g.scrub(fmt.Sprintf("gitrepo: github: %s: %d %s: %s", what, status, http.StatusText(status), reason))
	return &Error{msg: msg, cause: ErrRemote}
}

func (g GitHub) scrub(text string) string { return Remote{Token: g.Token}.Scrub(text) }

// ErrPullRequest marks a submit whose branch was pushed but whose pull request could not be
// opened; the Submission returned with it is valid.
var ErrPullRequest = errors.New("pull request not opened")

// Proposal is a pushed change set and where people can review it.
type Proposal struct {
	Submission
	// CompareURL is GitHub's compare page of the branch; "" when the remote is not on GitHub.
	CompareURL string
	// PullRequestURL is the pull request's page; "" when none was opened (not on GitHub, or
	// no token).
	PullRequestURL string
}

// Propose submits the change set on branch (Submit) and, when the remote is on github.com and
// has a token, opens a pull request for it into the followed branch through the API at apiURL,
// titled with the subject and described by the body. A pull request that cannot be opened is
// reported with ErrPullRequest (and ErrRemote) next to the valid Proposal of the pushed branch.
func (r *Repo) Propose(ctx context.Context, cs ChangeSet, branch, apiURL string) (Proposal, error) {
	sub, err := r.Submit(ctx, cs, branch)
	if err != nil {
		return Proposal{}, err
	}
	p := Proposal{Submission: sub, CompareURL: r.remote.CompareURL(branch)}
	owner, name, onGitHub := GitHubRepository(r.remote.URL)
	if !onGitHub || r.remote.Token == "" {
		return p, nil
	}
	gh := GitHub{APIURL: apiURL, Token: r.remote.Token}
	p.PullRequestURL, err = gh.OpenPullRequest(ctx, PullRequest{Owner: owner, Repo: name, Title: cs.Subject,
		Body: strings.TrimSpace(cs.Body), Head: branch, Base: r.remote.RefName().Short()})
	if err != nil {
		return p, fmt.Errorf("gitrepo: %s pushed, but %w: %w", branch, ErrPullRequest, err)
	}
	return p, nil
}
