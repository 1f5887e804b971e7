// Package buildinfo says which build of rebind is running, from what the Go
// toolchain records in the binary: the module's version, the commit it was
// built from and the Go version.
package buildinfo

import (
	"runtime/debug"
)

// Info describes one build.
type Info struct {
	// Version is the module's version: a release tag, or "(devel)" for a
	// build from a checkout.
	Version string
	// Revision is the commit, with "+dirty" when the checkout had
	// uncommitted changes, or "unknown" when the build recorded none.
	Revision string
	// GoVersion is the toolchain that built the binary.
	GoVersion string
}

// Read returns the running binary's build information.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "unknown", Revision: "unknown", GoVersion: "unknown"}
	}
	return fromBuildInfo(bi)
}

func fromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: bi.Main.Version, Revision: "unknown", GoVersion: bi.GoVersion}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && info.Revision != "unknown" {
		info.Revision += "+dirty"
	}
	return info
}

// String is the line `rebind version` prints.
func (i Info) String() string {
	return "rebind " + i.Version + " (commit " + i.Revision + ", " + i.GoVersion + ")"
}
