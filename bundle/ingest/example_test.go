package ingest_test

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
)

func ExampleParseMarkdown() {
	a, err := ingest.ParseMarkdown("news/bridge.md", []byte(`---
title: Council approves new footbridge
lang: en-gb
published: 2024-03-11T18:30:00+02:00
---
The town council voted 9 to 4 on Monday.
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.ID)
	fmt.Println(a.Title)
	fmt.Println(a.Lang, a.Published)
	fmt.Printf("%s %q\n", a.ContentType, a.Body)
	// Output:
	// news/bridge.md
	// Council approves new footbridge
	// en-GB 2024-03-11 16:30:00 +0000 UTC
	// text/markdown "The town council voted 9 to 4 on Monday.\n"
}

func ExampleParsePage() {
	page := []byte(`<html lang="en"><head><title>Harbour reopens | Ellis Gazette</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Harbour reopens</h1>
<p>The northern harbour reopened to fishing boats on Tuesday, <a href="/2024/01/storm">six weeks after the storm</a>.</p>
<figure><img src="img/boats.jpg" alt="Boats leaving"><figcaption>The first boats left before dawn.</figcaption></figure>
</article>
<footer>© Ellis Gazette</footer></body></html>`)
	u, _ := url.Parse("https://gazette.example.org/2024/03/harbour")
	a, err := ingest.ParsePage(page, u, "text/html; charset=utf-8", ingest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.ID)
	fmt.Println(a.Title, a.Lang)
	fmt.Println(string(a.Body))
	// Output:
	// https://gazette.example.org/2024/03/harbour
	// Harbour reopens en
	// <p>The northern harbour reopened to fishing boats on Tuesday, <a href="https://gazette.example.org/2024/01/storm">six weeks after the storm</a>.</p>
	// <figure><img src="img/boats.jpg" alt="Boats leaving"/><figcaption>The first boats left before dawn.</figcaption></figure>
}

func ExampleParseJSON_error() {
	_, err := ingest.ParseJSON("feed/items.json", []byte("[\n  {\"title\": \"a\", \"body\": \"x\"},\n  {\"title\": \"b\"}\n]"))
	fmt.Println(err)
	fmt.Println(errors.Is(err, ingest.ErrMalformed))
	// Output:
	// feed/items.json:3: malformed: missing body
	// true
}

func ExampleReferences() {
	body := []byte("![Map](img/map.png) ![Logo](https://example.org/logo.png)\n\n<img src=\"img/map.png\"> <video poster=\"still.jpg\">\n")
	fmt.Println(ingest.References("text/markdown", body))
	// Output:
	// [img/map.png still.jpg]
}

func ExampleWalk() {
	warn := func(w ingest.Warning) { fmt.Println("warning:", w) }
	err := ingest.Walk([]string{"testdata/corpus/en"}, ingest.Options{Warn: warn}, func(a *bundle.Article) error {
		fmt.Printf("%s %q, %d attachments\n", a.ID, a.Title, len(a.Attachments))
		return nil
	})
	fmt.Println(err)
	// Output:
	// ellis-gazette-2024-0311-bridge "Council approves new footbridge over the Ellis river", 1 attachments
	// harbour-reopens.txt "Harbour reopens after winter storm repairs", 0 attachments
	// <nil>
}
