package gitrepo

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGitHubRepositoryAndCompareURL(t *testing.T) {
	for _, tc := range []struct {
		url         string
		owner, name string
		ok          bool
	}{
		{"https://github.com/labki/schemas.git", "labki", "schemas", true},
		{"https://github.com/labki/schemas", "labki", "schemas", true},
		{"https://x-access-token:t@github.com/labki/schemas/", "labki", "schemas", true},
		{"https://gitlab.com/labki/schemas.git", "", "", false},
		{"https://github.com/labki", "", "", false},
		{"file:///tmp/github.com/a/b", "", "", false},
	} {
		owner, name, ok := GitHubRepository(tc.url)
		if owner != tc.owner || name != tc.name || ok != tc.ok {
			t.Errorf("GitHubRepository(%q) = %q %q %v", tc.url, owner, name, ok)
		}
	}
	r := Remote{URL: "https://github.com/labki/schemas.git", Ref: "main"}
	if got := r.CompareURL("ontohub/draft-ab12"); got != "https://github.com/labki/schemas/compare/main...ontohub/draft-ab12" {
		t.Errorf("CompareURL = %s", got)
	}
	if got := (Remote{URL: "file:///x", Ref: "main"}).CompareURL("b"); got != "" {
		t.Errorf("CompareURL of a file remote = %q", got)
	}
}

// fakeGitHub answers like GitHub's pulls endpoint and records what it was sent.
type fakeGitHub struct {
	t        *testing.T
	requests []recorded
	// existing is the pull request already open for the head branch, "" for none.
	existing string
	// refuse answers every request with this status and GitHub's error document.
	refuse int
}

type recorded struct {
	Method, Path, Query string
	Header              http.Header
	Body                map[string]any
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone()}
	if data, _ := io.ReadAll(r.Body); len(data) > 0 {
		if err := json.Unmarshal(data, &rec.Body); err != nil {
			f.t.Errorf("request body is not JSON: %s", data)
		}
	}
	f.requests = append(f.requests, rec)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch {
	case f.refuse != 0:
		w.WriteHeader(f.refuse)
		io.WriteString(w, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`)
	case r.Method == http.MethodPost && f.existing != "":
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for labki:ontohub/draft-ab12."}]}`)
	case r.Method == http.MethodPost:
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":1,"number":42,"html_url":"https://github.com/labki/schemas/pull/42","state":"open"}`)
	case r.Method == http.MethodGet:
		io.WriteString(w, `[{"number":7,"html_url":"`+f.existing+`"}]`)
	}
}

func TestOpenPullRequestSendsWhatGitHubExpects(t *testing.T) {
	fake := &fakeGitHub{t: t}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	gh := GitHub{APIURL: srv.URL + "/", Token: "ghp_T0KEN"}
	pr := PullRequest{Owner: "labki", Repo: "schemas", Title: "Update Person", Body: "From Ontology Hub.", Head: "ontohub/draft-ab12", Base: "main"}
	got, err := gh.OpenPullRequest(context.Background(), pr)
	if err != nil || got != "https://github.com/labki/schemas/pull/42" {
		t.Fatalf("OpenPullRequest = %q, %v", got, err)
	}
	if len(fake.requests) != 1 {
		t.Fatalf("%d requests, want 1", len(fake.requests))
	}
	req := fake.requests[0]
	if req.Method != http.MethodPost || req.Path != "/repos/labki/schemas/pulls" || req.Query != "" {
		t.Errorf("request %s %s?%s", req.Method, req.Path, req.Query)
	}
	for name, want := range map[string]string{
		"Authorization":        "Bearer ghp_T0KEN",
		"Accept":               "application/vnd.github+json",
		"X-Github-Api-Version": "2022-11-28",
		"Content-Type":         "application/json",
		"User-Agent":           "ontohub",
	} {
		if got := req.Header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	wantBody := map[string]any{"title": "Update Person", "head": "ontohub/draft-ab12", "base": "main", "body": "From Ontology Hub."}
	if diff := cmp.Diff(wantBody, req.Body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestOpenPullRequestFindsTheOneAlreadyOpen(t *testing.T) {
	fake := &fakeGitHub{t: t, existing: "https://github.com/labki/schemas/pull/7"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	gh := GitHub{APIURL: srv.URL, Token: "ghp_T0KEN"}
	got, err := gh.OpenPullRequest(context.Background(), PullRequest{Owner: "labki", Repo: "schemas", Title: "t", Head: "ontohub/draft-ab12", Base: "main"})
	if err != nil || got != fake.existing {
		t.Fatalf("OpenPullRequest = %q, %v", got, err)
	}
	if len(fake.requests) != 2 || fake.requests[1].Method != http.MethodGet || fake.requests[1].Path != "/repos/labki/schemas/pulls" ||
		fake.requests[1].Query != "base=main&head=labki%3Aontohub%2Fdraft-ab12&state=open" {
		t.Fatalf("requests = %+v", fake.requests)
	}
	if fake.requests[1].Header.Get("Authorization") != "Bearer ghp_T0KEN" {
		t.Error("the lookup is not authenticated")
	}
}

func TestOpenPullRequestFailures(t *testing.T) {
	fake := &fakeGitHub{t: t, refuse: http.StatusUnauthorized}
	srv := httptest.NewServer(fake)
	gh := GitHub{APIURL: srv.URL, Token: "ghp_T0KEN"}
	pr := PullRequest{Owner: "labki", Repo: "schemas", Title: "t", Head: "h", Base: "main"}
	_, err := gh.OpenPullRequest(context.Background(), pr)
	if !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), "401 Unauthorized: Bad credentials") || strings.Contains(err.Error(), "ghp_T0KEN") {
		t.Fatalf("refused: %v", err)
	}
	srv.Close()
	if _, err := gh.OpenPullRequest(context.Background(), pr); !errors.Is(err, ErrRemote) || strings.Contains(err.Error(), "ghp_T0KEN") {
		t.Fatalf("unreachable: %v", err)
	}
}
