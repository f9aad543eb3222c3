package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTextHead(t *testing.T) {
	lines := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	para := "The harbour authority said divers would inspect the pier before any vessel was allowed to berth there again."
	para2 := "Shopkeepers on Harbour Street spent the whole afternoon pumping water out of their flooded premises."
	chrome := []string{"Accessibility links", "Skip to content", "Home", "News", "Sport", "Breaking News"}
	tests := []struct {
		desc string
		text string
		want textHeadInfo
	}{
		{
			desc: "an article: its first line",
			text: lines("Harbour reopens after winter storm repairs", "", para, "", para2),
			want: textHeadInfo{title: "Harbour reopens after winter storm repairs", line: 1},
		},
		{
			desc: "a short first line, hard-wrapped body: still the first line",
			text: lines("Выборы перенесены", "", "Центральная избирательная комиссия объявила в понедельник о", "переносе выборов в городской совет на две недели из-за паводка.",
				"Новая дата голосования будет объявлена после того, как вода спадёт и участки проверят."),
			want: textHeadInfo{title: "Выборы перенесены", line: 1},
		},
		{
			desc: "a saved page: the headline below the chrome, with dateline and byline",
			text: lines(append(chrome, "Storm surge floods Kirkwall harbour", "Published", "14 March 2024", "Share",
				"Image caption,", "Sea water poured over the harbour wall at high tide on Thursday",
				"By Fiona MacLeod", para, para2)...),
			want: textHeadInfo{title: "Storm surge floods Kirkwall harbour", line: 7, start: len(lines(chrome...)),
				published: time.Date(2024, 3, 14, 0, 0, 0, 0, time.UTC), authors: []string{"Fiona MacLeod"}},
		},
		{
			desc: "a ticker headline first: the line a dateline follows wins",
			text: lines(append(chrome, "Live: budget debate continues in Parliament", "Home", "Storm surge floods Kirkwall harbour",
				"Updated 14 March 2024, 17:40 GMT", para, para2)...),
			want: textHeadInfo{title: "Storm surge floods Kirkwall harbour", line: 9, start: len(lines(append(chrome, "Live: budget debate continues in Parliament", "Home")...)),
				published: time.Date(2024, 3, 14, 0, 0, 0, 0, time.UTC)},
		},
		{
			desc: "no dateline: the first candidate; two bylines",
			text: lines(append(chrome, "Council approves new footbridge over the river", "By Maria Lindqvist and Tom Abara", para, para2)...),
			want: textHeadInfo{title: "Council approves new footbridge over the river", line: 7, start: len(lines(chrome...)),
				authors: []string{"Maria Lindqvist", "Tom Abara"}},
		},
		{
			desc: "a cookie notice is one paragraph, not the body",
			text: lines(append(chrome, "We use cookies to give you the best online experience. Please let us know if you agree to all of these cookies.",
				"Yes, I agree", "Harbour reopens after winter storm repairs", para, para2)...),
			want: textHeadInfo{title: "Harbour reopens after winter storm repairs", line: 9, start: len(lines(append(chrome,
				"We use cookies to give you the best online experience. Please let us know if you agree to all of these cookies.", "Yes, I agree")...))},
		},
		{
			desc: "chrome, but no body: the first line",
			text: lines(append(chrome, "Storm surge floods Kirkwall harbour", para)...),
			want: textHeadInfo{title: "Accessibility links", line: 1},
		},
		{
			desc: "chrome and body, no headline-shaped line: the first line",
			text: lines(append(chrome, "Orkney", para, para2)...),
			want: textHeadInfo{title: "Accessibility links", line: 1},
		},
		{
			desc: "Chinese: words counted by characters",
			text: lines("首页", "新闻", "国内", "长江中游持续强降雨 武汉启动防汛二级应急响应",
				"受持续强降雨影响，长江武汉关水位今天下午超过警戒水位，达到27.6米。武汉市防汛抗旱指挥部决定启动应急响应。",
				"据气象部门预报，未来三天长江中游地区仍将有大到暴雨，局部地区有大暴雨，水位将继续上涨。"),
			want: textHeadInfo{title: "长江中游持续强降雨 武汉启动防汛二级应急响应", line: 4, start: len(lines("首页", "新闻", "国内"))},
		},
		{
			desc: "blank lines and a byte order mark",
			text: "\uFEFF\n\n  Title  \r\nbody\n",
			want: textHeadInfo{title: "Title", line: 3},
		},
		{desc: "empty", text: "", want: textHeadInfo{}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got := textHead([]byte(tt.text))
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(textHeadInfo{})); diff != "" {
				t.Errorf("textHead() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCountWords(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{
		{"Edinburgh, Fife & East", 3},
		{"Storm surge floods Kirkwall harbour", 5},
		{"16x9 Image", 2},
		{"© 2024", 0},
		{"长江中游持续强降雨", 5},
		{"皇居前で新年の一般参賀", 6},
	}
	for _, tt := range tests {
		if got := countWords(tt.s); got != tt.want {
			t.Errorf("countWords(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestDateline(t *testing.T) {
	day := time.Date(2024, 3, 14, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		s        string
		dateline bool
		date     time.Time
		byline   []string
	}{
		{"Published", true, time.Time{}, nil},
		{"14 March 2024", true, day, nil},
		{"Published 14 March 2024", true, day, nil},
		{"Last updated: March 14, 2024, 17:40 GMT", true, day, nil},
		{"Thursday, 14 March 2024", true, day, nil},
		{"2024-03-14", true, day, nil},
		{"By Fiona MacLeod", false, time.Time{}, []string{"Fiona MacLeod"}},
		{"By Ann O'Neill, Tom Abara and Li Wei", false, time.Time{}, []string{"Ann O'Neill", "Tom Abara", "Li Wei"}},
		{"By the sea a storm rose", false, time.Time{}, nil},
		{"Publishing giant buys rival", false, time.Time{}, nil},
	}
	for _, tt := range tests {
		if got := isDateline(tt.s); got != tt.dateline {
			t.Errorf("isDateline(%q) = %v, want %v", tt.s, got, tt.dateline)
		}
		if got := datelineDate(tt.s); !got.Equal(tt.date) {
			t.Errorf("datelineDate(%q) = %v, want %v", tt.s, got, tt.date)
		}
		if got := byline(tt.s); !cmp.Equal(got, tt.byline) {
			t.Errorf("byline(%q) = %q, want %q", tt.s, got, tt.byline)
		}
	}
}
