package gen_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/url"

	"github.com/ontohub/ontohub/gen"
)

// Create a draft change proposal, then read it back through its capability URL.
func ExampleClientWithResponses_CreateDraftWithResponse() {
	ctx := context.Background()
	client, err := gen.NewClientWithResponses(serverURL) // e.g. "http://localhost:8080"
	if err != nil {
		log.Fatal(err)
	}

	sourceWiki := "https://wiki.example.org"
	created, err := client.CreateDraftWithResponse(ctx, gen.CreateDraftJSONRequestBody{
		Payload:    json.RawMessage(`{"entities": [{"entity_type": "category", "entity_id": "Person"}]}`),
		SourceWiki: &sourceWiki,
	})
	if err != nil {
		log.Fatal(err)
	}
	if created.JSON201 == nil {
		log.Fatalf("create draft: %s %s", created.Status(), created.Body)
	}
	fmt.Println("created:", created.StatusCode())

	// The capability URL is shown once: whoever holds it can read, change and withdraw the
	// draft. Its fragment is the token the draft operations take.
	capabilityURL, err := url.Parse(created.JSON201.CapabilityUrl)
	if err != nil {
		log.Fatal(err)
	}
	token := capabilityURL.Fragment

	draft, err := client.GetDraftWithResponse(ctx, token)
	if err != nil {
		log.Fatal(err)
	}
	if draft.JSON200 == nil {
		log.Fatalf("read draft: %s %s", draft.Status(), draft.Body)
	}
	fmt.Println("status:", draft.JSON200.Status)
	fmt.Println("source wiki:", *draft.JSON200.SourceWiki)
	fmt.Println("payload:", string(draft.JSON200.Payload))
	fmt.Println("expires as announced:", draft.JSON200.ExpiresAt.Equal(created.JSON201.ExpiresAt))
	// Output:
	// created: 201
	// status: pending
	// source wiki: https://wiki.example.org
	// payload: {"entities":[{"entity_type":"category","entity_id":"Person"}]}
	// expires as announced: true
}

// Page through all categories, three at a time, following next_cursor until has_next is false.
func ExampleClientWithResponses_ListEntitiesWithResponse() {
	ctx := context.Background()
	client, err := gen.NewClientWithResponses(serverURL) // e.g. "http://localhost:8080"
	if err != nil {
		log.Fatal(err)
	}

	params := &gen.ListEntitiesParams{Limit: new(gen.Limit(3))}
	for page := 1; ; page++ {
		resp, err := client.ListEntitiesWithResponse(ctx, gen.EntityTypeCategory, params)
		if err != nil {
			log.Fatal(err)
		}
		if resp.JSON200 == nil {
			log.Fatalf("list categories: %s %s", resp.Status(), resp.Body)
		}
		fmt.Printf("page %d:", page)
		for _, entity := range resp.JSON200.Items {
			fmt.Printf(" %s", entity.EntityId)
		}
		fmt.Println()
		if !resp.JSON200.HasNext {
			break
		}
		params.Cursor = resp.JSON200.NextCursor
	}
	// Output:
	// page 1: Agent Employee Organization
	// page 2: Person Research_group Student
	// page 3: Teaching_assistant
}
