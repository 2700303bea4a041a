// Package imagebuild builds small single-layer container images from files in
// memory and writes them as OCI image layout tarballs that
// `ctr -n k8s.io images import` accepts, without a Docker daemon.
//
// Output is deterministic: every timestamp (tar entries, config, history) is
// the Spec's Created time, files are written in the order given, and the
// layout tarball lists its entries in sorted order.
package imagebuild

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Annotations on the index entry that name the image. containerd (ctr images
// import) takes the name from AnnotationImageName first; other tools read the
// OCI ref name.
const (
	AnnotationImageName = "io.containerd.image.name"
	AnnotationRefName   = "org.opencontainers.image.ref.name"
)

// File is one entry of the image's single layer. Path is absolute
// ("/etc/passwd"); a directory has Dir set and no Data. Mode holds the
// permission bits including setuid/setgid/sticky (e.g. 0o1777).
type File struct {
	Path     string
	Dir      bool
	Mode     int64
	UID, GID int
	Data     []byte
}

// Spec describes one image.
type Spec struct {
	Ref     string    // full reference, e.g. "mxn.mxnlabs.io/mxn:dev"
	OS      string    // "linux"
	Arch    string    // runtime.GOARCH
	Created time.Time // every timestamp in the image
	Config  v1.Config // User, Entrypoint, Env, WorkingDir, ...
	Files   []File
}

// Layer returns the uncompressed tar of the spec's files: parent
// directories first (created as 0755 root:root if not listed), every entry
// with the Created time.
func Layer(s Spec) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]bool{}
	listed := map[string]bool{}
	for _, f := range s.Files {
		listed[clean(f.Path)] = true
	}
	writeDir := func(p string, mode int64, uid, gid int) error {
		seen[p] = true
		return tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeDir, Name: p + "/", Mode: mode, Uid: uid, Gid: gid,
			ModTime: s.Created, Format: tar.FormatPAX,
		})
	}
	for _, f := range s.Files {
		p := clean(f.Path)
		if p == "" || !strings.HasPrefix(f.Path, "/") {
			return nil, fmt.Errorf("imagebuild: path %q must be absolute and not /", f.Path)
		}
		if seen[p] {
			return nil, fmt.Errorf("imagebuild: %s listed twice", f.Path)
		}
		// Implicit parents.
		parts := strings.Split(p, "/")
		for i := 1; i < len(parts); i++ {
			dir := strings.Join(parts[:i], "/")
			if seen[dir] {
				continue
			}
			if listed[dir] {
				return nil, fmt.Errorf("imagebuild: %s must be listed before %s", "/"+dir, f.Path)
			}
			if err := writeDir(dir, 0o755, 0, 0); err != nil {
				return nil, err
			}
		}
		if f.Dir {
			if err := writeDir(p, f.Mode, f.UID, f.GID); err != nil {
				return nil, err
			}
			continue
		}
		seen[p] = true
		if err := tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg, Name: p, Mode: f.Mode, Uid: f.UID, Gid: f.GID,
			Size: int64(len(f.Data)), ModTime: s.Created, Format: tar.FormatPAX,
		}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// clean turns "/etc/passwd" into "etc/passwd" (tar names are relative).
func clean(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}

// Image builds the OCI image of the spec: empty base, one gzip layer, the
// config with OS and architecture set.
func Image(s Spec) (v1.Image, error) {
	if s.OS == "" || s.Arch == "" {
		return nil, fmt.Errorf("imagebuild: %s: OS and Arch are required", s.Ref)
	}
	data, err := Layer(s)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	created := v1.Time{Time: s.Created.UTC()}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		OS:           s.OS,
		Architecture: s.Arch,
		Config:       s.Config,
		RootFS:       v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: created, CreatedBy: "mxn hack/image"},
	})
	if err != nil {
		return nil, err
	}
	return mutate.CreatedAt(img, created)
}

// Index wraps the image in an OCI index whose single entry names the
// platform and carries the image's name, as `ctr images import` needs.
func Index(s Spec, img v1.Image) (v1.ImageIndex, error) {
	tag, err := name.NewTag(s.Ref, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("imagebuild: image name %q: %w", s.Ref, err)
	}
	return mutate.AppendManifests(empty.Index, mutate.IndexAddendum{
		Add: img,
		Descriptor: v1.Descriptor{
			MediaType: types.OCIManifestSchema1,
			Platform:  &v1.Platform{OS: s.OS, Architecture: s.Arch},
			Annotations: map[string]string{
				AnnotationImageName: tag.Name(),
				AnnotationRefName:   tag.TagStr(),
			},
		},
	}), nil
}

// Result is what WriteTar wrote.
type Result struct {
	Ref    string
	Digest v1.Hash // the image manifest's digest (what `ctr images ls` shows)
	Path   string
}

// WriteTar builds the spec's image and writes it to out as an OCI image
// layout tarball (oci-layout, index.json, blobs/sha256/...).
func WriteTar(s Spec, out string) (Result, error) {
	img, err := Image(s)
	if err != nil {
		return Result{}, err
	}
	idx, err := Index(s, img)
	if err != nil {
		return Result{}, err
	}
	dgst, err := img.Digest()
	if err != nil {
		return Result{}, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".layout-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(tmp)
	if _, err := layout.Write(tmp, idx); err != nil {
		return Result{}, fmt.Errorf("imagebuild: write layout: %w", err)
	}
	if err := tarDir(tmp, out, s.Created); err != nil {
		return Result{}, err
	}
	return Result{Ref: s.Ref, Digest: dgst, Path: out}, nil
}

// tarDir writes the files under dir to out (atomically), sorted, with fixed
// times and owners.
func tarDir(dir, out string, mtime time.Time) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	f, err := os.CreateTemp(filepath.Dir(out), ".tar-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	tw := tar.NewWriter(f)
	for _, p := range files {
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: rel, Mode: 0o644, ModTime: mtime, Format: tar.FormatPAX}
		if st.IsDir() {
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, rel+"/", 0o755
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			continue
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size()
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(tw, src)
		src.Close()
		if err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), out)
}
