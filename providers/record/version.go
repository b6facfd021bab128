package record

import "runtime/debug"

// BuildVersion is this build of ringside as a header names it: the module
// version and, where the build knows it, the commit (with "+dirty" for a
// tree with changes), so a recording says what wrote it.
func BuildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if len(revision) > 12 {
		revision = revision[:12]
	}
	if revision != "" {
		v += " " + revision
		if modified == "true" {
			v += "+dirty"
		}
	}
	return v
}
