package ingest_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
)

// pages is the directory of news pages with their sites around them, as a
// publisher saves them: navigation, cookie banners, advertisements,
// related links, comments and footers, in English (also as text, the
// shape of issue 13's seed page), Persian and Arabic (right to left),
// Chinese and Spanish, and a feed of summaries without a language.
const pages = "testdata/pages"

// goldenPage is the golden form of an extracted article: its metadata,
// and its body as text, a block to a line, so that a change in what the
// extractor keeps shows in the diff.
type goldenPage struct {
	ID          string
	Title       string
	Lang        string
	Published   string   `json:",omitempty"`
	Updated     string   `json:",omitempty"`
	URL         string   `json:",omitempty"`
	Authors     []string `json:",omitempty"`
	Summary     string   `json:",omitempty"`
	ContentType string
	Text        []string
	Attachments []string `json:",omitempty"`
}

// bodyText returns an article's body as text, a block to a line: HTML
// without its markup, images as "[image SRC]"; other types as they are.
func bodyText(a *bundle.Article) []string {
	if a.ContentType != "text/html" {
		return nonEmptyLines(string(a.Body))
	}
	var b strings.Builder
	z := html.NewTokenizer(bytes.NewReader(a.Body))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return nonEmptyLines(b.String())
		case html.TextToken:
			b.Write(bytes.ReplaceAll(z.Text(), []byte("\n"), []byte(" ")))
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			tok := z.Token()
			switch tok.Data {
			case "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "figure", "br", "tr":
				b.WriteByte('\n')
			case "img":
				for _, at := range tok.Attr {
					if at.Key == "src" {
						b.WriteString("\n[image " + at.Val + "]\n")
					}
				}
			}
		}
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestWalkPages walks the news pages and compares every article with
// testdata/pages.golden.json (rewrite with -update), then checks what
// issue 13 asks of each: the headline, language and date, the body's key
// sentences present and the site's chrome absent.
func TestWalkPages(t *testing.T) {
	arts, ws, err := walk(t, pages)
	if err != nil {
		t.Fatalf("Walk() error = %v", err)
	}
	if len(ws) != 0 {
		t.Errorf("Walk() warnings = %+v, want none", ws)
	}
	byID := make(map[string]*bundle.Article)
	var got []goldenPage
	for _, a := range arts {
		byID[a.ID] = a
		g := goldenPage{
			ID: a.ID, Title: a.Title, Lang: a.Lang, Published: date(a.Published), Updated: date(a.Updated),
			URL: a.URL, Authors: a.Authors, Summary: a.Summary, ContentType: a.ContentType, Text: bodyText(a),
		}
		for _, at := range a.Attachments {
			g.Attachments = append(g.Attachments, at.Name+" "+at.ContentType)
		}
		got = append(got, g)
	}
	checkGolden(t, "testdata/pages.golden.json", pages, got)

	tests := []struct {
		id        string
		title     string
		lang      string
		published time.Time
		present   []string // body sentences, captions
		absent    []string // the site around the article
		// leftover is chrome the extractor keeps today: checked present,
		// so that the day it goes, the test says to move it to absent.
		leftover []string
	}{
		{
			id:        "https://www.nbs.example.co.uk/news/uk-scotland-highlands-islands-68571234", // en-seed.html
			title:     "Storm surge floods Kirkwall harbour as ferries are cancelled",
			lang:      "en-GB",
			published: utc(2024, 3, 14, 9, 12, 31),
			present: []string{
				"Ferries to and from Orkney have been cancelled for a second day",
				`"We have never seen the water come over the wall this far," said harbour master James Flett.`,
				"Shopkeepers on Harbour Street spent the afternoon clearing water and silt", // a caption
				"Ferry operator NorthLink said sailings between Kirkwall and Aberdeen would not resume before Saturday",
			},
			absent: []string{
				"Let us know you agree to cookies", "We use cookies", "Skip to content", "Accessibility Help",
				"iPlayer", "Election 2024", "Breaking News", "Budget debate continues", "Copy link", "About sharing",
				"By Fiona MacLeod", "Advertisement", "Related Topics", "More on this story",
				"Ferry services cancelled as storm approaches", "Comments", "islander77", "The council was warned",
				"Most Read", "Man charged after Glasgow car chase", "Terms of Use", "Why you can trust the NBS",
				"not responsible for the content of external sites", "pixel.example.net", "ads.example.net",
			},
		},
		{
			id:        "en-seed.txt",
			title:     "Storm surge floods Kirkwall harbour as ferries are cancelled",
			lang:      "en",
			published: utc(2024, 3, 14, 0, 0, 0),
			present: []string{
				"Ferries to and from Orkney have been cancelled for a second day",
				"Ferry operator NorthLink said sailings between Kirkwall and Aberdeen would not resume before Saturday",
			},
			absent: []string{"Accessibility links", "Skip to content", "Scotland Politics", "Breaking News"},
			// A text has no markup to tell the footer by: only the chrome
			// above the headline goes (see textHead).
			leftover: []string{"Related Topics", "Most Read", "The NBS is not responsible for the content of external sites."},
		},
		{
			id:        "https://www.azad-news.example/fa/2024/08/05/isfahan-water", // fa-news.html
			title:     "کم‌آبی در اصفهان؛ جیره‌بندی آب در ۱۲ شهر آغاز شد",
			lang:      "fa",
			published: utc(2024, 8, 5, 3, 0, 0),
			present: []string{
				"شرکت آب و فاضلاب استان اصفهان از امروز جیره‌بندی آب شرب را در دوازده شهر این استان آغاز کرد.",
				"ذخیره سد زاینده‌رود به کمتر از ده درصد ظرفیت آن رسیده است",
				"بستر زاینده‌رود در تابستان امسال کاملا خشک است", // a caption
				"کارشناسان منابع آب هشدار می‌دهند",
			},
			absent: []string{
				"از کوکی استفاده می‌کند", "می‌پذیرم", "پرش به محتوای اصلی", "صفحه اصلی", "جستجو", "خبر فوری",
				"تعطیلی ادارات تهران", "تبلیغات", "برچسب‌ها", "اشتراک در تلگرام", "مطالب مرتبط",
				"خشکسالی در ۱۸ استان کشور", "نظرات کاربران", "سال‌هاست که این بحران", "ارسال نظر",
				"درباره ما", "تمامی حقوق",
			},
		},
		{
			id:        "https://alkhabar.example.com/economy/2024/10/12/desalination", // ar-news.html
			title:     "افتتاح أول محطة لتحلية مياه البحر بالطاقة الشمسية في المغرب",
			lang:      "ar",                       // detected: the page names no language
			published: utc(2024, 10, 12, 9, 0, 0), // the dateline's <time>
			present: []string{
				"افتتحت السلطات المغربية، يوم السبت، محطة لتحلية مياه البحر",
				"ويرى خبراء أن تحلية المياه أصبحت ضرورة",
			},
			absent: []string{
				"نستخدم ملفات تعريف الارتباط", "موافق", "انتقل إلى المحتوى", "الرئيسية", "رياضة", "إعلان",
				"بقلم", "اقرأ أيضا", "مخزون السدود في أدنى مستوياته", "التعليقات", "مشروع ممتاز",
				"جميع الحقوق محفوظة", "من نحن",
			},
		},
		{
			id:        "es-news.html",
			title:     "El Gobierno aprueba la ley de vivienda tras dos años de negociación",
			lang:      "es", // the JSON-LD article's inLanguage
			published: utc(2024, 2, 27, 7, 5, 0),
			present: []string{
				"La norma limita las subidas del alquiler en las zonas tensionadas", // the standfirst
				"El Consejo de Ministros aprobó este martes la ley de vivienda",
				"«pone a las personas en el centro»",
				"recurrirán la norma ante el Tribunal Constitucional",
			},
			absent: []string{
				"Valoramos tu privacidad", "Aceptar y cerrar", "Configurar cookies", "Saltar al contenido", "Portada",
				"Suscríbete", "Carmen Ortega, Javier Ruiz", "Apúntate a nuestro boletín", "Noticias relacionadas",
				"El alquiler en Madrid marca un nuevo récord", "Comentarios", "Llega tarde", "Aviso legal",
				"Todos los derechos reservados",
			},
		},
		{
			id:        "zh-news.html",
			title:     "长江中游持续强降雨 武汉启动防汛二级应急响应",
			lang:      "zh",                      // detected
			published: utc(2024, 6, 21, 0, 0, 0), // from the dateline "2024-06-21 18:40 来源：江城日报"
			present: []string{
				"武汉市防汛抗旱指挥部决定，自6月21日18时起启动防汛二级应急响应。",
				"汉口江滩部分区域已被江水淹没。", // a caption
				"“我们已经准备了足够的砂石料和抢险物资，”",
			},
			absent: []string{
				"本网站使用Cookie", "我知道了", "跳到主要内容", "客户端下载", "首页", "当前位置", "来源：江城日报", "分享到",
				"相关新闻", "湖北多地遭遇暴雨袭击", "网友评论", "辛苦了", "热点排行", "高考成绩今日公布",
				"关于我们", "版权所有", "鄂ICP备",
			},
		},
		{
			id:        "https://www.nbs.example.co.uk/news/uk-scotland-68569000", // summaries.rss
			title:     "Island school with four pupils",
			lang:      "en", // too short alone ("Meet them."): the feed's language
			published: utc(2024, 3, 13, 17, 30, 0),
			present:   []string{"Meet them."},
		},
		{
			id:        "https://www.nbs.example.co.uk/news/uk-scotland-68570777", // summaries.rss
			title:     "Train drivers to strike on three days next month",
			lang:      "en",
			published: utc(2024, 3, 14, 8, 2, 10),
			present:   []string{"The union says talks with the rail operator have broken down over pay and rest days."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			a := byID[tt.id]
			if a == nil {
				t.Fatalf("no article %q", tt.id)
			}
			if a.Title != tt.title || a.Lang != tt.lang || !a.Published.Equal(tt.published) {
				t.Errorf("title, lang, published = %q, %q, %v; want %q, %q, %v", a.Title, a.Lang, a.Published, tt.title, tt.lang, tt.published)
			}
			text := strings.Join(bodyText(a), "\n")
			for _, s := range tt.present {
				if !strings.Contains(text, s) {
					t.Errorf("body lacks %q", s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(text, s) {
					t.Errorf("body has the chrome %q", s)
				}
			}
			for _, s := range tt.leftover {
				if !strings.Contains(text, s) {
					t.Errorf("body no longer has the chrome %q: move it to absent", s)
				}
			}
		})
	}
}

// TestWalkPagesKeepPage: with KeepPage, a page is its article's body as
// it came, chrome and all, and its images are attached from the whole
// page.
func TestWalkPagesKeepPage(t *testing.T) {
	arts, _, err := walkWith(t, ingest.Options{KeepPage: true}, filepath.Join(pages, "en-seed.html"))
	if err != nil {
		t.Fatalf("Walk() error = %v", err)
	}
	page, err := os.ReadFile(filepath.Join(pages, "en-seed.html"))
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || !bytes.Equal(arts[0].Body, page) {
		t.Fatalf("Walk(KeepPage) gave %d articles, want 1 with the page as its body", len(arts))
	}
	a := arts[0]
	if a.Title != "Storm surge floods Kirkwall harbour as ferries are cancelled" || a.Lang != "en-GB" {
		t.Errorf("title, lang = %q, %q", a.Title, a.Lang)
	}
	var names []string
	for _, at := range a.Attachments {
		names = append(names, at.Name)
	}
	if diff := cmp.Diff([]string{"img/harbour.jpg", "img/shops.jpg"}, names); diff != "" {
		t.Errorf("attachments mismatch (-want +got):\n%s", diff)
	}
}
