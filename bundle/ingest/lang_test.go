package ingest

import (
	"strings"
	"testing"
)

func TestDetectLang(t *testing.T) {
	tests := []struct {
		desc, text, want string
	}{
		// Enough text in one language.
		{"english", "Ferries to and from Orkney are cancelled for a second day after a storm surge damaged the main pier.", "en"},
		{"spanish", "El Consejo de Ministros aprobó este martes la ley de vivienda, después de dos años de negociación.", "es"},
		{"french", "Le conseil municipal a voté jeudi soir la fermeture de la piscine du quartier nord, jugée trop coûteuse.", "fr"},
		{"russian", "Городская избирательная комиссия сообщила, что к закрытию участков проголосовали больше шестидесяти процентов избирателей.", "ru"},
		{"ukrainian", "Міська виборча комісія повідомила, що до закриття дільниць проголосували понад шістдесят відсотків виборців.", "uk"},
		{"persian", "شرکت آب و فاضلاب استان اصفهان از امروز جیره‌بندی آب شرب را در دوازده شهر این استان آغاز کرد.", "fa"},
		{"arabic", "افتتحت السلطات المغربية، يوم السبت، محطة لتحلية مياه البحر تعمل بالطاقة الشمسية قرب مدينة أكادير.", "ar"},
		{"turkish", "Belediye meclisi perşembe akşamı kuzey mahallesindeki yüzme havuzunun kapatılmasına karar verdi.", "tr"},
		{"hindi", "नगर निगम ने गुरुवार शाम उत्तरी इलाके के तरणताल को बंद करने का फैसला किया, क्योंकि उसकी मरम्मत बहुत महंगी पड़ती।", "hi"},
		{"chinese", "受持续强降雨影响，长江武汉关水位今天下午超过警戒水位，达到27.6米。武汉市防汛抗旱指挥部决定启动防汛二级应急响应。", "zh"},
		// whatlanggo calls Han text Chinese: the kana make it Japanese.
		{"japanese", "気象庁によると、二日午前六時ごろ、沿岸部で震度4の揺れを観測した。この地震による津波の心配はないという。", "ja"},

		// Too short: a headline, a menu, a word.
		{"short headline", "Storm surge floods Kirkwall harbour", "und"},
		{"short spanish headline, guessed Swedish", "La sequía obliga a restringir el riego en el valle", "und"},
		{"one word", "Meet them.", "und"},
		{"digits and punctuation", strings.Repeat("2024-03-14 12:00 — 1,2 % ", 20), "und"},
		{"empty", "", "und"},

		// Mixed: the main script wins when it holds three quarters of the
		// letters, else "und".
		{"english quoting russian", "The mayor told reporters outside the town hall on Monday evening that «мы не сдадимся» and left.", "en"},
		{"half latin, half cyrillic", "Breaking news from the capital today: Президент заявил о начале переговоров в Стамбуле", "und"},
		{"persian with latin names", "خبرگزاری رویترز (Reuters) گزارش داد که شرکت آب و فاضلاب استان اصفهان جیره‌بندی آب را آغاز کرده است.", "fa"},
		// Mixed in one script: the detector's margin decides; here the
		// English dominates.
		{"english with a spanish phrase", "The minister said the housing law puts people first, or as she put it, pone a las personas en el centro, before the vote.", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := detectLang(tt.text).lang; got != tt.want {
				t.Errorf("detectLang(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// TestDetectLangSample: only the first maxLangSample bytes are read, and a
// cut never splits a character.
func TestDetectLangSample(t *testing.T) {
	en := strings.Repeat("The harbour reopened to fishing boats on Tuesday after six weeks of repairs. ", 400)
	if got := detectLang(en + strings.Repeat("Городская избирательная комиссия сообщила. ", 4000)).lang; got != "en" {
		t.Errorf("detectLang(long English, then Russian) = %q, want en", got)
	}
	if got := detectLang(strings.Repeat("市", maxLangSample)).lang; got != "zh" {
		t.Errorf("detectLang(many Chinese characters) = %q, want zh", got)
	}
}

// TestDraftLanguage: a language the source names wins; a feed's guess
// stands in for an item too short to tell, in the same script only.
func TestDraftLanguage(t *testing.T) {
	en := &langGuess{lang: "en", script: "Latin"}
	tests := []struct {
		desc string
		d    draft
		want string
	}{
		{"named", draft{lang: "fr", title: "Ferries to and from Orkney are cancelled for a second day after a storm."}, "fr"},
		{"named badly, detected", draft{lang: "not a tag!", title: "Ferries to and from Orkney are cancelled for a second day after a storm."}, "en"},
		{"detected from title and body", draft{title: "Ferries cancelled", contentType: typeHTML, body: []byte("<p>Ferries to and from <b>Orkney</b> are cancelled for a second day.</p>")}, "en"},
		{"too short", draft{title: "Meet them."}, "und"},
		{"too short, feed's guess", draft{title: "Meet them.", fallback: en}, "en"},
		{"too short, other script than the feed's", draft{title: "Знакомьтесь.", fallback: en}, "und"},
		{"long enough, feed's guess not needed", draft{title: "El Consejo de Ministros aprobó este martes la ley de vivienda tras dos años.", fallback: en}, "es"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := tt.d.language(); got != tt.want {
				t.Errorf("language() = %q, want %q", got, tt.want)
			}
		})
	}
}
