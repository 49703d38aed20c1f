//go:build !unix

package journal

import "os"

// lockFile is a no-op where flock is not available: do not run two sessions on one journal.
func lockFile(string) (*os.File, error) { return nil, nil }

func unlockFile(*os.File) {}
