// Package notify tells the owner of a paper bot left running what happened: fills, strategy
// faults, feed disconnects and gaps, and each instance's daily PnL, sent to Telegram (Bot API
// sendMessage) and/or a generic JSON webhook (Slack and Discord incoming webhooks accept it:
// it carries both "text" and "content").
//
// A Notifier is never on the engine's path. Record (a record.Recorder) and Feed only format
// a line and offer it to a bounded queue without blocking; when the queue is full the line is
// dropped and counted, and the next message says how many were dropped. Run, the one
// goroutine that sends, belongs to whoever calls it (an errgroup in a live session): it
// drains the queue, joins what is waiting into one message, and sends at most one message per
// MinInterval per destination (Telegram allows about one message a second per chat; Slack
// about one a second per webhook), so a burst of fills becomes a few messages, not a ban.
//
// Times in messages are event times (the records' and events' own); only the rate limit
// and HTTP timeouts use the wall clock, here at the edge like the dashboard.
package notify
