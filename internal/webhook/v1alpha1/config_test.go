package v1alpha1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	mxnv1alpha1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

// These tests need no cluster: they check that every YAML file of config/
// parses, that the kustomizations name files that exist, and that each
// sample decodes strictly (a misspelt field fails) into its typed object
// and passes the webhooks. The envtest suite also dry-runs the samples
// against the CRDs.

var configDir = filepath.Join("..", "..", "..", "config")

// yamlDocs splits a multi-document YAML file.
func yamlDocs(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
	}
}

func TestConfigYAMLParses(t *testing.T) {
	n := 0
	err := filepath.WalkDir(configDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		for _, doc := range yamlDocs(t, path) {
			var v any // strict: duplicate keys fail
			if err := yaml.UnmarshalStrict(doc, &v); err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			n++
			m, ok := v.(map[string]any)
			if !ok || m["kind"] == nil || strings.HasPrefix(filepath.Base(path), "kustomiz") {
				continue // a JSON patch list, a kustomization or a kustomize configuration
			}
			var obj metav1.PartialObjectMetadata
			if err := yaml.Unmarshal(doc, &obj); err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			if obj.APIVersion == "" || obj.Name == "" {
				t.Errorf("%s: a %s without apiVersion or metadata.name", path, obj.Kind)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 30 {
		t.Fatalf("parsed %d YAML documents under %s; expected the whole kustomize layout", n, configDir)
	}
}

// kustomization is the part of a kustomization.yaml naming other files.
type kustomization struct {
	Resources      []string `json:"resources"`
	Configurations []string `json:"configurations"`
	Patches        []struct {
		Path string `json:"path"`
	} `json:"patches"`
}

// generated are files that `make manifests` writes from markers that do not
// exist yet (config/rbac/role.yaml comes from the controllers' rbac markers).
var generated = map[string]bool{filepath.Join("rbac", "role.yaml"): true}

func TestKustomizationsNameExistingFiles(t *testing.T) {
	for _, dir := range []string{"default", "crd", "rbac", "manager", "webhook", "certmanager", "samples", "aerolite"} {
		path := filepath.Join(configDir, dir, "kustomization.yaml")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var k kustomization
		if err := yaml.Unmarshal(data, &k); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		refs := append(slices.Clone(k.Resources), k.Configurations...)
		for _, p := range k.Patches {
			refs = append(refs, p.Path)
		}
		if len(refs) == 0 {
			t.Errorf("%s names no resources", path)
		}
		for _, ref := range refs {
			target := filepath.Join(configDir, dir, ref)
			rel, _ := filepath.Rel(configDir, target)
			if _, err := os.Stat(target); err != nil {
				if generated[rel] {
					t.Logf("%s: %s is not generated yet (make manifests, from the controllers' rbac markers)", path, ref)
					continue
				}
				t.Errorf("%s: %v", path, err)
			}
		}
	}
}

// decodeSample decodes a sample strictly into the typed object of its kind.
func decodeSample(data []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(data, &tm); err != nil {
		return nil, err
	}
	if tm.APIVersion != mxnv1alpha1.GroupVersion.String() {
		return nil, errors.New("apiVersion " + tm.APIVersion + " is not " + mxnv1alpha1.GroupVersion.String())
	}
	var obj any
	switch tm.Kind {
	case "LoadTest":
		obj = &mxnv1alpha1.LoadTest{}
	case "Reconciliation":
		obj = &mxnv1alpha1.Reconciliation{}
	case "Cleanup":
		obj = &mxnv1alpha1.Cleanup{}
	default:
		return nil, errors.New("unknown kind " + tm.Kind)
	}
	return obj, yaml.UnmarshalStrict(data, obj)
}

func TestSamplesDecodeStrictly(t *testing.T) {
	dir := filepath.Join(configDir, "samples")
	paths, err := filepath.Glob(filepath.Join(dir, "mxn_v1alpha1_*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	slices.Sort(names)
	listed := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(names, listed) {
		t.Errorf("config/samples/kustomization.yaml lists %v; the samples are %v", listed, names)
	}

	kinds := map[string]bool{}
	ctx := context.Background()
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := decodeSample(data)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		switch o := obj.(type) {
		case *mxnv1alpha1.LoadTest:
			kinds["LoadTest"] = true
			s := o.Spec
			if s.Mode != "transfer" || s.Legs == nil || *s.Legs != 3 || s.FailurePercent != 50 || s.Workers != 4 ||
				s.TransactionsPerWorker == nil || *s.TransactionsPerWorker != 200 || !s.Init ||
				len(s.Aerospike.Seeds) != 1 || s.Aerospike.Seeds[0].Host != "aerolite" {
				t.Errorf("%s: not the transfers sample: %+v", p, s)
			}
		case *mxnv1alpha1.Reconciliation:
			kinds["Reconciliation"] = true
			if o.Spec.Schedule != "*/5 * * * *" || o.Spec.Shards != 2 {
				t.Errorf("%s: schedule %q, shards %d", p, o.Spec.Schedule, o.Spec.Shards)
			}
			if _, err := ReconciliationCustomValidator.ValidateCreate(ctx, o); err != nil {
				t.Errorf("%s: %v", p, err)
			}
		case *mxnv1alpha1.Cleanup:
			kinds["Cleanup"] = true
			if _, err := CleanupCustomValidator.ValidateCreate(ctx, o); err != nil {
				t.Errorf("%s: %v", p, err)
			}
		}
	}
	if len(kinds) != 3 {
		t.Errorf("samples cover %v; want LoadTest, Reconciliation and Cleanup", kinds)
	}
}

// TestStrictDecodingCatchesTypos makes sure the check above has teeth.
func TestStrictDecodingCatchesTypos(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(configDir, "samples", "mxn_v1alpha1_loadtest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	typo := bytes.Replace(data, []byte("transactionsPerWorker:"), []byte("transactionPerWorker:"), 1)
	if bytes.Equal(typo, data) {
		t.Fatal("the LoadTest sample has no transactionsPerWorker")
	}
	if _, err := decodeSample(typo); err == nil || !strings.Contains(err.Error(), "transactionPerWorker") {
		t.Fatalf("a misspelt field decoded: %v", err)
	}
}

func TestCheckCron(t *testing.T) {
	for _, tc := range []struct {
		spec string
		ok   bool
	}{
		{"*/5 * * * *", true},
		{"0 2 * * MON-FRI", true},
		{"@hourly", true},
		{"@every 90m", true},
		{" 0 0 * * * ", true},
		{"not a cron", false},
		{"* * *", false},
		{"0 */5 * * * *", false}, // seconds are not part of the standard format
		{"61 * * * *", false},
		{"0 0 30 2 *", false}, // never fires
		{"@yearly please", false},
		{"TZ=UTC * * * * *", false},
		{"CRON_TZ=Europe/Paris 0 2 * * *", false},
		{"TZ=UTC", false}, // the parser itself would panic on this one
		{"CRON_TZ=", false},
	} {
		msg := checkCron(tc.spec)
		if (msg == "") != tc.ok {
			t.Errorf("checkCron(%q) = %q; want ok=%v", tc.spec, msg, tc.ok)
		}
	}
}

func TestCheckTimeZone(t *testing.T) {
	for _, tc := range []struct {
		tz string
		ok bool
	}{
		{"UTC", true},
		{"Europe/Paris", true},
		{"America/Argentina/Buenos_Aires", true},
		{"Mars/Olympus", false},
		{"", false},
		{"Local", false},
		{"../../etc/passwd", false},
	} {
		msg := checkTimeZone(tc.tz)
		if (msg == "") != tc.ok {
			t.Errorf("checkTimeZone(%q) = %q; want ok=%v", tc.tz, msg, tc.ok)
		}
	}
}
