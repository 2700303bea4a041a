package imagebuild

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func testSpec(bin string) Spec {
	return Spec{
		Ref: "example.test/img:v1", OS: "linux", Arch: runtime.GOARCH,
		Created: time.Unix(0, 0).UTC(),
		Config:  v1.Config{User: "1:2", Entrypoint: []string{"/bin/app"}},
		Files: []File{
			{Path: "/tmp", Dir: true, Mode: 0o1777},
			{Path: "/bin/app", Mode: 0o755, Data: []byte(bin)},
		},
	}
}

// untar extracts an OCI layout tarball into a new folder.
func untar(t *testing.T, tarPath string) string {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return dir
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteTarReadBack(t *testing.T) {
	out := filepath.Join(t.TempDir(), "img.tar")
	res, err := WriteTar(testSpec("fake binary"), out)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := layout.ImageIndexFromPath(untar(t, out))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("index has %d manifests, want 1", len(im.Manifests))
	}
	d := im.Manifests[0]
	if d.Platform == nil || d.Platform.OS != "linux" || d.Platform.Architecture != runtime.GOARCH {
		t.Errorf("index platform = %+v, want linux/%s", d.Platform, runtime.GOARCH)
	}
	if d.MediaType != types.OCIManifestSchema1 {
		t.Errorf("index entry media type %s", d.MediaType)
	}
	if got := d.Annotations[AnnotationImageName]; got != "example.test/img:v1" {
		t.Errorf("%s = %q", AnnotationImageName, got)
	}
	if got := d.Annotations[AnnotationRefName]; got != "v1" {
		t.Errorf("%s = %q", AnnotationRefName, got)
	}
	if d.Digest != res.Digest {
		t.Errorf("index digest %s, WriteTar said %s", d.Digest, res.Digest)
	}
	img, err := idx.Image(d.Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("config platform %s/%s", cf.OS, cf.Architecture)
	}
	if !cf.Created.Time.Equal(time.Unix(0, 0)) {
		t.Errorf("created %v", cf.Created)
	}
	if cf.Config.User != "1:2" || len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/bin/app" {
		t.Errorf("config %+v", cf.Config)
	}
	if len(cf.RootFS.DiffIDs) != 1 || len(cf.History) != 1 {
		t.Errorf("rootfs %+v history %+v", cf.RootFS, cf.History)
	}
	files := Files(t, img)
	want := map[string]int64{"tmp/": 0o1777, "bin/": 0o755, "bin/app": 0o755}
	if len(files) != len(want) {
		t.Errorf("files %v, want %v", files, want)
	}
	for n, m := range want {
		h, ok := files[n]
		if !ok {
			t.Errorf("%s missing", n)
			continue
		}
		if h.Mode != m || !h.ModTime.Equal(time.Unix(0, 0)) {
			t.Errorf("%s: mode %o mtime %v", n, h.Mode, h.ModTime)
		}
	}
}

// Files lists the entries of the image's single layer by tar name.
func Files(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d, %v", len(layers), err)
	}
	if mt, _ := layers[0].MediaType(); mt != types.OCILayer {
		t.Errorf("layer media type %s", mt)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	files := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = h
	}
}

func TestDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.tar"), filepath.Join(dir, "b.tar"), filepath.Join(dir, "c.tar")
	ra, err := WriteTar(testSpec("same"), a)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := WriteTar(testSpec("same"), b)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := WriteTar(testSpec("other"), c)
	if err != nil {
		t.Fatal(err)
	}
	if ra.Digest != rb.Digest {
		t.Errorf("two builds: %s != %s", ra.Digest, rb.Digest)
	}
	if ra.Digest == rc.Digest {
		t.Errorf("different binary, same digest %s", ra.Digest)
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		t.Error("the two tarballs differ")
	}
}

func TestBadSpecs(t *testing.T) {
	s := testSpec("x")
	s.Arch = ""
	if _, err := Image(s); err == nil {
		t.Error("no arch: no error")
	}
	s = testSpec("x")
	s.Ref = "Not A Name"
	if _, err := WriteTar(s, filepath.Join(t.TempDir(), "x.tar")); err == nil {
		t.Error("bad name: no error")
	}
	s = testSpec("x")
	s.Files = append(s.Files, File{Path: "/bin", Dir: true, Mode: 0o755})
	if _, err := Layer(s); err == nil {
		t.Error("parent listed after child: no error")
	}
}
