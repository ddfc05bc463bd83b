// Package filewatcher is the runner of the route-file source: it polls a
// YAML route file, parses it with routefile.Parse, and publishes the
// resulting source.DesiredRoutes to the routing table.
//
//	route file ──(poll: mtime, size, sha256)──▶ Watcher ──publish──▶ routing table
//
// The copilot must never serve routes from a bad file: nothing is published
// until the file has parsed once, and afterwards a file that cannot be read
// or parsed is logged (`route-file-rejected`, `route-file-unreadable`) and
// ignored, so the last good routes stand until the operator fixes it. Each
// problem is logged once per distinct file content, not on every poll. A
// parsed file is published only when its routes differ from the last ones
// published (touching or reformatting the file publishes nothing).
//
// A new version of the file (a new modification time, size or SHA-256) is
// parsed only once it has stayed the same for one poll interval, so a file
// caught mid-write is never parsed; the first routes are therefore published
// one interval after start. Polling (rather than inotify) keeps it simple and
// works for files that editors and config management replace by rename; the
// file is small and hand-written, so it is read and hashed on every poll.
//
// Concurrency: Run owns the Watcher's state and must be called once;
// publish is called from Run's goroutine, one call at a time, and owns the
// value it receives.
package filewatcher
