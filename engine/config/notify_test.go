package config_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed/kraken"
)

func TestLiveNotify(t *testing.T) {
	yml := base + `live:
  notify:
    telegram: {token_env: TELEGRAM_BOT_TOKEN, chat_id: "123456"}
    webhook: {url_env: SLACK_WEBHOOK_URL}
    events: [fills, faults]
    min_interval: 5s
`
	c, err := config.Parse([]byte(yml), "run.yaml", testRegistry(), kraken.DefaultPairs())
	if err != nil {
		t.Fatal(err)
	}
	want := &config.Notify{TelegramTokenEnv: "TELEGRAM_BOT_TOKEN", TelegramChat: "123456", WebhookURLEnv: "SLACK_WEBHOOK_URL",
		Events: []string{"fills", "faults"}, MinInterval: 5 * time.Second}
	if !reflect.DeepEqual(c.Live.Notify, want) {
		t.Errorf("Notify = %+v, want %+v", c.Live.Notify, want)
	}
	if c, err := config.Parse([]byte(base), "run.yaml", testRegistry(), kraken.DefaultPairs()); err != nil || c.Live.Notify != nil {
		t.Errorf("no notify section: %+v, %v", c.Live.Notify, err)
	}
	for _, tc := range []struct{ yml, want string }{
		{"live:\n  notify: {}\n", "live.notify: no destination"},
		{"live:\n  notify: {telegram: {chat_id: \"1\"}}\n", "live.notify.telegram: needs token_env"},
		{"live:\n  notify: {telegram: {token_env: X}}\n", "live.notify.telegram: needs chat_id"},
		{"live:\n  notify: {webhook: {url_env: X}, events: [trades]}\n", `live.notify.events[0]: unknown event "trades"`},
		{"live:\n  notify: {webhook: {urll: x}}\n", "live.notify.webhook.urll: unknown key"},
	} {
		_, err := config.Parse([]byte(base+tc.yml), "run.yaml", testRegistry(), kraken.DefaultPairs())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yml, err, tc.want)
		}
	}
}
