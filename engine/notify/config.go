package notify

import (
	"fmt"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/engine/config"
)

// FromConfig builds a Notifier from a run config's live.notify section, reading the secrets
// named by token_env and url_env with getenv (os.Getenv in the CLI). A nil section gives a
// nil Notifier and no error: notifications are off.
//
// A live session wires it as one more recorder and one more goroutine of its errgroup:
//
//	n, err := notify.FromConfig(c.Live.Notify, os.Getenv, "papertrade live "+c.Path, log)
//	rec := record.Multi(journal, dashboard, metrics, n) // only when n != nil: a nil *Notifier is not a nil Recorder
//	g.Go(func() error { return n.Run(ctx) })            // returns after a last flush when ctx ends
//	// and from the feed path: n.Feed(&ev) for gaps and status, n.Disconnected(...) on a lost connection
func FromConfig(c *config.Notify, getenv func(string) string, label string, log *zap.Logger) (*Notifier, error) {
	if c == nil {
		return nil, nil
	}
	o := Options{TelegramToken: c.TelegramToken, TelegramChat: c.TelegramChat, WebhookURL: c.WebhookURL,
		Events: c.Events, MinInterval: c.MinInterval, Label: label, Log: log}
	if c.TelegramTokenEnv != "" {
		if o.TelegramToken = getenv(c.TelegramTokenEnv); o.TelegramToken == "" {
			return nil, fmt.Errorf("notify: live.notify.telegram.token_env names %s, which is not set: export %s=<bot token from @BotFather>", c.TelegramTokenEnv, c.TelegramTokenEnv)
		}
	}
	if c.WebhookURLEnv != "" {
		if o.WebhookURL = getenv(c.WebhookURLEnv); o.WebhookURL == "" {
			return nil, fmt.Errorf("notify: live.notify.webhook.url_env names %s, which is not set: export %s=<incoming webhook URL>", c.WebhookURLEnv, c.WebhookURLEnv)
		}
	}
	return New(o)
}
