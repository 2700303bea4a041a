// Command image builds the local images of mxn as OCI image layout tarballs,
// without Docker:
//
//	go run ./hack/image --out bin/images    (make images)
//
// writes bin/images/mxn.tar (mxn.mxnlabs.io/mxn:dev: the binaries of bin/, see
// contents.go) and bin/images/pause.tar (mxn.mxnlabs.io/pause:3.10: hack/pause,
// built here with CGO_ENABLED=0), and prints each name and manifest digest.
// Import them into a node's containerd with
//
//	ctr -a <socket> -n k8s.io images import bin/images/mxn.tar
//
// Timestamps come from --epoch (default $SOURCE_DATE_EPOCH, else 0), so the
// same binaries give the same digests.
package main

import (
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mxnlabs/mxn/internal/imagebuild"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	out := fs.String("out", "bin/images", "output folder for mxn.tar and pause.tar")
	bin := fs.String("bin", "bin", "folder holding the static binaries ("+strings.Join(Binaries, ", ")+")")
	image := fs.String("image", "mxn.mxnlabs.io/mxn:dev", "name:tag of the mxn image")
	pause := fs.String("pause-image", "mxn.mxnlabs.io/pause:3.10", "name:tag of the pause image")
	defEpoch := int64(0)
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q: %w", s, err)
		}
		defEpoch = v
	}
	epoch := fs.Int64("epoch", defEpoch, "Unix time of every timestamp in the images (default $SOURCE_DATE_EPOCH or 0)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	created := time.Unix(*epoch, 0).UTC()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}

	bins := map[string][]byte{}
	for _, b := range Binaries {
		p := filepath.Join(*bin, b)
		if err := checkStatic(p); err != nil {
			return fmt.Errorf("%w (run `make build`)", err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		bins[b] = data
	}

	tmp, err := os.MkdirTemp("", "mxn-pause-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	pauseBin, err := buildPause(tmp)
	if err != nil {
		return err
	}

	for _, job := range []struct {
		spec imagebuild.Spec
		file string
	}{
		{MxnSpec(*image, created, bins), "mxn.tar"},
		{PauseSpec(*pause, created, pauseBin), "pause.tar"},
	} {
		res, err := imagebuild.WriteTar(job.spec, filepath.Join(*out, job.file))
		if err != nil {
			return err
		}
		fmt.Printf("%s\t%s\t%s\n", res.Ref, res.Digest, res.Path)
	}
	return nil
}

// MxnSpec is the mxn image: the binaries at /, a passwd and group with the
// nonroot user, /tmp, running as that user with Entrypoint.
func MxnSpec(ref string, created time.Time, bins map[string][]byte) imagebuild.Spec {
	files := []imagebuild.File{
		{Path: "/etc", Dir: true, Mode: 0o755},
		{Path: "/etc/passwd", Mode: 0o644, Data: []byte(fmt.Sprintf(
			"root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:/home/%s:/sbin/nologin\n",
			UserName, UID, GID, UserName, UserName))},
		{Path: "/etc/group", Mode: 0o644, Data: []byte(fmt.Sprintf(
			"root:x:0:\n%s:x:%d:\n", UserName, GID))},
		{Path: "/home", Dir: true, Mode: 0o755},
		{Path: "/home/" + UserName, Dir: true, Mode: 0o700, UID: UID, GID: GID},
		{Path: "/tmp", Dir: true, Mode: 0o1777},
	}
	for _, b := range Binaries {
		files = append(files, imagebuild.File{Path: "/" + b, Mode: 0o755, Data: bins[b]})
	}
	return imagebuild.Spec{
		Ref: ref, OS: "linux", Arch: runtime.GOARCH, Created: created,
		Config: v1.Config{
			User:       fmt.Sprintf("%d:%d", UID, GID),
			Entrypoint: Entrypoint,
			WorkingDir: "/",
			Env:        []string{"PATH=/"},
		},
		Files: files,
	}
}

// PauseSpec is the pause image: /pause, run as 65535.
func PauseSpec(ref string, created time.Time, pause []byte) imagebuild.Spec {
	return imagebuild.Spec{
		Ref: ref, OS: "linux", Arch: runtime.GOARCH, Created: created,
		Config: v1.Config{
			User:       fmt.Sprintf("%d:%d", PauseUID, PauseGID),
			Entrypoint: []string{"/pause"},
			WorkingDir: "/",
		},
		Files: []imagebuild.File{{Path: "/pause", Mode: 0o755, Data: pause}},
	}
}

// buildPause compiles hack/pause statically for linux/GOARCH and returns it.
func buildPause(tmp string) ([]byte, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if root == "." || root == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return nil, errors.New("run inside the mxn module")
	}
	out := filepath.Join(tmp, "pause")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./hack/pause")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("build hack/pause: %w", err)
	}
	if err := checkStatic(out); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}

// checkStatic fails unless p is an ELF executable for GOARCH without a
// dynamic loader: the images have no libc.
func checkStatic(p string) error {
	f, err := elf.Open(p)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked; build it with CGO_ENABLED=0", p)
		}
	}
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
	if want != 0 && f.Machine != want {
		return fmt.Errorf("%s is for %v, not %s", p, f.Machine, runtime.GOARCH)
	}
	return nil
}
