package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"
)

// instr is one Dockerfile instruction of the final stage.
type instr struct {
	cmd  string // upper case
	args string
}

// parseDockerfile returns the instructions of each stage (continuation lines
// joined, comments dropped).
func parseDockerfile(t *testing.T, p string) [][]instr {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages [][]instr
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instr{strings.ToUpper(cmd), strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("%s: %q before FROM", p, line)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages
}

// TestDockerfileFollowsContents keeps the Dockerfile, cmd/ and contents.go in
// step: the builder builds every binary, the final stage copies exactly
// Binaries to /, runs as UID:GID and starts Entrypoint.
func TestDockerfileFollowsContents(t *testing.T) {
	stages := parseDockerfile(t, "../../Dockerfile")
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage Dockerfile, got %d stages", len(stages))
	}
	want := slices.Clone(Binaries)
	sort.Strings(want)

	// cmd/ holds exactly the listed commands (what `make build` builds).
	ents, err := os.ReadDir("../../cmd")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, e := range ents {
		if e.IsDir() {
			cmds = append(cmds, e.Name())
		}
	}
	sort.Strings(cmds)
	if !slices.Equal(cmds, want) {
		t.Errorf("cmd/ has %v, contents.go lists %v", cmds, want)
	}

	// The builder builds each of them statically.
	var built []string
	for _, st := range stages[:len(stages)-1] {
		for _, in := range st {
			if in.cmd != "RUN" || !strings.Contains(in.args, "go build") {
				continue
			}
			if !strings.Contains(in.args, "CGO_ENABLED=0") || !strings.Contains(in.args, "-trimpath") {
				t.Errorf("RUN %s: want CGO_ENABLED=0 and -trimpath", in.args)
			}
			for _, f := range strings.Fields(in.args) {
				if strings.HasPrefix(f, "./cmd/") {
					built = append(built, strings.TrimPrefix(f, "./cmd/"))
				}
			}
		}
	}
	sort.Strings(built)
	if !slices.Equal(built, want) {
		t.Errorf("the builder builds %v, want %v", built, want)
	}

	// The final stage.
	final := stages[len(stages)-1]
	var copied []string
	var user, entry string
	for _, in := range final {
		switch in.cmd {
		case "COPY", "ADD":
			f := strings.Fields(in.args)
			var srcs []string
			for _, a := range f[:len(f)-1] {
				if !strings.HasPrefix(a, "--") {
					srcs = append(srcs, a)
				}
			}
			if dst := f[len(f)-1]; dst != "/" {
				t.Errorf("%s %s: want the binaries copied to /", in.cmd, in.args)
			}
			for _, s := range srcs {
				copied = append(copied, path.Base(s))
			}
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entry = in.args
		}
	}
	sort.Strings(copied)
	if !slices.Equal(copied, want) {
		t.Errorf("the final stage copies %v, want exactly %v", copied, want)
	}
	if wantUser := fmt.Sprintf("%d:%d", UID, GID); user != wantUser {
		t.Errorf("USER %q, want %q", user, wantUser)
	}
	var ep []string
	if err := json.Unmarshal([]byte(entry), &ep); err != nil || !slices.Equal(ep, Entrypoint) {
		t.Errorf("ENTRYPOINT %s, want %q in exec form", entry, Entrypoint)
	}
}
