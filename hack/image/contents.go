package main

// The one list of what goes into the mxn image. The Dockerfile at the
// repository root follows it; dockerfile_test.go checks that it copies exactly
// these binaries, runs as this user and starts Entrypoint, and that cmd/ holds
// exactly these commands (what `make build` builds).

// Binaries are the commands under cmd/, copied from bin/ to /<name>.
var Binaries = []string{"manager", "mxn", "aerolite"}

// The user the image runs as (distroless's nonroot).
const (
	UserName = "nonroot"
	UID      = 65532
	GID      = 65532
)

// Entrypoint is the image's default command.
var Entrypoint = []string{"/manager"}

// The pause image.
const (
	PauseUID = 65535
	PauseGID = 65535
)
