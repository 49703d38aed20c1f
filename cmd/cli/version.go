package cli

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// readBuildInfo is debug.ReadBuildInfo without the ok flag (nil when the binary has none).
func readBuildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}

// resolveVersion picks the version results are stamped with: one set with -ldflags wins;
// then the main module's version from the build info (Go stamps a tag, or a pseudo-version
// with the commit and "+dirty" for a build in a clone); then the VCS revision alone (builds
// with -buildvcs but no module version); "dev" when nothing is known (go run, tests).
func resolveVersion(ldflags string, bi *debug.BuildInfo) string {
	if ldflags != "" && ldflags != "dev" {
		return ldflags
	}
	if bi == nil {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	v := "dev+" + rev[:min(12, len(rev))]
	if dirty {
		v += ".dirty"
	}
	return v
}

// versionText is what `papertrade version` prints: the version, then where it came from.
func versionText(version string, bi *debug.BuildInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "papertrade %s\n", resolveVersion(version, bi))
	if bi == nil {
		return b.String()
	}
	fmt.Fprintf(&b, "  module    %s %s\n", bi.Main.Path, bi.Main.Version)
	fmt.Fprintf(&b, "  go        %s\n", bi.GoVersion)
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			fmt.Fprintf(&b, "  revision  %s\n", s.Value)
		case "vcs.time":
			fmt.Fprintf(&b, "  committed %s\n", s.Value)
		case "vcs.modified":
			if s.Value == "true" {
				fmt.Fprintf(&b, "  modified  uncommitted changes in the build\n")
			}
		}
	}
	return b.String()
}
