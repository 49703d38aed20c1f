package cli

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolveVersion(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name    string
		ldflags string
		bi      *debug.BuildInfo
		want    string
	}{
		{"no build info", "dev", nil, "dev"},
		{"ldflags win", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v0.9.0"}}, "v1.2.3"},
		{"go install at a tag", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}}, "v0.4.0"},
		{"clone build: pseudo-version", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261208022833-e1b4a76abcde+dirty"}}, "v0.0.0-20261208022833-e1b4a76abcde+dirty"},
		{"devel with revision", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("e1b4a76abcdef0123456789", "false")}, "dev+e1b4a76abcde"},
		{"devel, dirty", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("e1b4a76", "true")}, "dev+e1b4a76.dirty"},
		{"devel, nothing known", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolveVersion(tt.ldflags, tt.bi); got != tt.want {
				t.Errorf("resolveVersion = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersionTextNamesRevision(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/papertrade/papertrade", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "e1b4a76abcdef"}, {Key: "vcs.time", Value: "2026-12-08T02:28:33Z"}, {Key: "vcs.modified", Value: "true"}}}
	got := versionText("dev", bi)
	for _, want := range []string{"papertrade dev+e1b4a76abcde.dirty\n", "revision  e1b4a76abcdef", "committed 2026-12-08T02:28:33Z", "go        go1.26.8", "uncommitted"} {
		if !strings.Contains(got, want) {
			t.Errorf("version text lacks %q:\n%s", want, got)
		}
	}
}
