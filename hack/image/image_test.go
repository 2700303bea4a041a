package main

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/mxnlabs/mxn/internal/imagebuild"
)

func fakeBins(tag string) map[string][]byte {
	m := map[string][]byte{}
	for _, b := range Binaries {
		m[b] = []byte("fake " + b + " " + tag)
	}
	return m
}

// readBack writes spec to a tarball, reads it back through an OCI layout and
// returns the index entry, the image and its layer's entries (by tar name,
// with contents).
func readBack(t *testing.T, spec imagebuild.Spec) (v1.Descriptor, *v1.ConfigFile, map[string]*tar.Header, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	res, err := imagebuild.WriteTar(spec, filepath.Join(dir, "img.tar"))
	if err != nil {
		t.Fatal(err)
	}
	lay := filepath.Join(dir, "layout")
	extract(t, res.Path, lay)
	idx, err := layout.ImageIndexFromPath(lay)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("index: %v %v", im, err)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	hdrs, data := map[string]*tar.Header{}, map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		hdrs[h.Name], data[h.Name] = h, string(b)
	}
	return im.Manifests[0], cf, hdrs, data
}

func extract(t *testing.T, tarPath, dir string) {
	t.Helper()
	f, err := os.Open(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeDir {
			continue
		}
		b, _ := io.ReadAll(tr)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func checkPlatform(t *testing.T, d v1.Descriptor, cf *v1.ConfigFile, ref string) {
	t.Helper()
	if d.Platform == nil || d.Platform.OS != "linux" || d.Platform.Architecture != runtime.GOARCH {
		t.Errorf("index platform %+v, want linux/%s", d.Platform, runtime.GOARCH)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("config platform %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
	}
	if got := d.Annotations[imagebuild.AnnotationImageName]; got != ref {
		t.Errorf("image name %q, want %q", got, ref)
	}
}

func TestMxnImage(t *testing.T) {
	const ref = "mxn.mxnlabs.io/mxn:dev"
	d, cf, hdrs, data := readBack(t, MxnSpec(ref, time.Unix(0, 0), fakeBins("a")))
	checkPlatform(t, d, cf, ref)
	if cf.Config.User != "65532:65532" {
		t.Errorf("user %q", cf.Config.User)
	}
	if !slices.Equal(cf.Config.Entrypoint, []string{"/manager"}) || cf.Config.WorkingDir != "/" {
		t.Errorf("entrypoint %q workdir %q", cf.Config.Entrypoint, cf.Config.WorkingDir)
	}
	if !slices.Contains(cf.Config.Env, "PATH=/") {
		t.Errorf("env %q", cf.Config.Env)
	}
	want := map[string]int64{"etc/": 0o755, "etc/passwd": 0o644, "etc/group": 0o644, "tmp/": 0o1777}
	for _, b := range Binaries {
		want[b] = 0o755
	}
	for n, mode := range want {
		h, ok := hdrs[n]
		if !ok {
			t.Errorf("%s missing", n)
			continue
		}
		if h.Mode != mode || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: mode %o owner %d:%d, want %o root", n, h.Mode, h.Uid, h.Gid, mode)
		}
	}
	for _, b := range Binaries {
		if data[b] != "fake "+b+" a" {
			t.Errorf("/%s holds %q", b, data[b])
		}
	}
	if !strings.Contains(data["etc/passwd"], "\nnonroot:x:65532:65532:") {
		t.Errorf("passwd:\n%s", data["etc/passwd"])
	}
	if !strings.Contains(data["etc/group"], "\nnonroot:x:65532:\n") {
		t.Errorf("group:\n%s", data["etc/group"])
	}
	if h := hdrs["home/nonroot/"]; h == nil || h.Uid != UID || h.Gid != GID {
		t.Errorf("home/nonroot: %+v", h)
	}
}

func TestPauseImage(t *testing.T) {
	const ref = "mxn.mxnlabs.io/pause:3.10"
	d, cf, hdrs, data := readBack(t, PauseSpec(ref, time.Unix(0, 0), []byte("fake pause")))
	checkPlatform(t, d, cf, ref)
	if cf.Config.User != "65535:65535" || !slices.Equal(cf.Config.Entrypoint, []string{"/pause"}) {
		t.Errorf("config %+v", cf.Config)
	}
	if h := hdrs["pause"]; h == nil || h.Mode != 0o755 || data["pause"] != "fake pause" {
		t.Errorf("/pause: %+v %q", h, data["pause"])
	}
	if len(hdrs) != 1 {
		t.Errorf("entries %v", hdrs)
	}
}

func TestDeterministicDigest(t *testing.T) {
	dir := t.TempDir()
	digest := func(file, tag string, epoch int64) v1.Hash {
		res, err := imagebuild.WriteTar(MxnSpec("mxn.mxnlabs.io/mxn:dev", time.Unix(epoch, 0), fakeBins(tag)), filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		return res.Digest
	}
	a, b := digest("a.tar", "x", 0), digest("b.tar", "x", 0)
	if a != b {
		t.Errorf("same binaries, two digests: %s %s", a, b)
	}
	if c := digest("c.tar", "y", 0); c == a {
		t.Errorf("other binaries, same digest %s", c)
	}
	if e := digest("e.tar", "x", 1700000000); e == a {
		t.Errorf("other epoch, same digest %s", e)
	}
}
