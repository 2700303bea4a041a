package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// helm returns the helm binary of env HELM (`make unit` sets it to
// bin/tools/helm-<version>).
func helm(t *testing.T) string {
	t.Helper()
	h := os.Getenv("HELM")
	if h == "" {
		t.Fatal("HELM is not set: the chart tests need the helm binary; run `make unit`, or `make helm` and then HELM=$PWD/bin/tools/helm-v3.22.0 go test ./hack/chartgen (an absolute path)")
	}
	if strings.Contains(h, "/") && !filepath.IsAbs(h) {
		t.Fatalf("HELM=%s: want an absolute path (the tests run in hack/chartgen)", h)
	}
	return h
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// doc is one rendered or config/ document: its kind and name, and its text.
type doc struct {
	kind, name, text string
}

func docs(t *testing.T, s string) []doc {
	t.Helper()
	var ds []doc
	for _, text := range strings.Split("\n"+s, "\n---\n") {
		if strings.TrimSpace(text) == "" {
			continue
		}
		var o object
		if err := yaml.Unmarshal([]byte(text), &o); err != nil {
			t.Fatalf("parse %q: %v", text, err)
		}
		if o.Kind == "" {
			continue
		}
		ds = append(ds, doc{o.Kind, o.Metadata.Name, text})
	}
	return ds
}

func find(t *testing.T, ds []doc, kind, name string) doc {
	t.Helper()
	for _, d := range ds {
		if d.kind == kind && d.name == name {
			return d
		}
	}
	t.Fatalf("no %s %s in the rendered chart", kind, name)
	return doc{}
}

func unmarshal(t *testing.T, text string, v any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(text), v); err != nil {
		t.Fatal(err)
	}
}

func template(t *testing.T, set ...string) []doc {
	t.Helper()
	args := []string{"template", "mxn", chartDir, "--namespace", "mxn-system"}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	return docs(t, run(t, helm(t), args...))
}

func readConfig(t *testing.T, rel string) []doc {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(configDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return docs(t, string(b))
}

func TestHelmLint(t *testing.T) {
	h := helm(t)
	t.Log(run(t, h, "lint", "--strict", chartDir))
	t.Log(run(t, h, "lint", "--strict", chartDir, "--set", "webhook.enable=true", "--set", "controllerManager.hostNetwork=true",
		"--set", "workerImage=mxn.mxnlabs.io/mxn:dev", "--set", "workerEnv[0]=A=b", "--set", "metrics.enable=false"))
}

// TestRolesMatchConfig: every Role and ClusterRole of config/rbac, the
// manager's first, has exactly its rules in the chart.
func TestRolesMatchConfig(t *testing.T) {
	rendered := template(t)
	names, err := filepath.Glob(filepath.Join(configDir, "rbac", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range names {
		for _, c := range readConfig(t, filepath.Join("rbac", filepath.Base(name))) {
			if c.kind != "Role" && c.kind != "ClusterRole" {
				continue
			}
			var want, got rbacv1.ClusterRole // Role has the same rules field
			unmarshal(t, c.text, &want)
			unmarshal(t, find(t, rendered, c.kind, "mxn-"+c.name).text, &got)
			if len(want.Rules) == 0 || !reflect.DeepEqual(got.Rules, want.Rules) {
				t.Errorf("%s mxn-%s: rules\n%+v\nwant (config/rbac/%s)\n%+v", c.kind, c.name, got.Rules, filepath.Base(name), want.Rules)
			}
			n++
		}
	}
	find(t, rendered, "ClusterRole", "mxn-manager-role")
	if n < 3 {
		t.Errorf("only %d roles in config/rbac", n)
	}
	for _, d := range template(t, "rbac.enable=false") {
		if strings.HasPrefix(d.kind, "Role") || strings.HasPrefix(d.kind, "ClusterRole") || d.kind == "ServiceAccount" {
			t.Errorf("rbac.enable=false renders %s %s", d.kind, d.name)
		}
	}
}

// TestCRDsMatchConfig: the chart's CRDs have the spec of config/crd/bases,
// byte for byte, and the keep annotation unless crd.keep=false.
func TestCRDsMatchConfig(t *testing.T) {
	rendered := template(t)
	unkept := template(t, "crd.keep=false")
	names, err := filepath.Glob(filepath.Join(configDir, "crd", "bases", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no CRDs in config/crd/bases")
	}
	spec := func(text string) string {
		i := strings.Index(text, "\nspec:\n")
		if i < 0 {
			t.Fatalf("no spec in %q", text[:min(len(text), 200)])
		}
		return strings.TrimRight(text[i:], "\n")
	}
	for _, name := range names {
		for _, c := range readConfig(t, filepath.Join("crd", "bases", filepath.Base(name))) {
			got := find(t, rendered, "CustomResourceDefinition", c.name)
			if spec(got.text) != spec(c.text) {
				t.Errorf("CRD %s: the chart's spec differs from config/crd/bases/%s", c.name, filepath.Base(name))
			}
			var g, w struct {
				Metadata struct {
					Annotations map[string]string `json:"annotations"`
				} `json:"metadata"`
				Spec map[string]any `json:"spec"`
			}
			unmarshal(t, got.text, &g)
			unmarshal(t, c.text, &w)
			if !reflect.DeepEqual(g.Spec, w.Spec) {
				t.Errorf("CRD %s: spec differs semantically from config/crd/bases", c.name)
			}
			if g.Metadata.Annotations["helm.sh/resource-policy"] != "keep" {
				t.Errorf("CRD %s: annotations %v, want helm.sh/resource-policy: keep", c.name, g.Metadata.Annotations)
			}
			g.Metadata.Annotations = nil // Unmarshal would merge into the map
			unmarshal(t, find(t, unkept, "CustomResourceDefinition", c.name).text, &g)
			if _, ok := g.Metadata.Annotations["helm.sh/resource-policy"]; ok {
				t.Errorf("CRD %s: crd.keep=false keeps the resource policy", c.name)
			}
		}
	}
	for _, d := range template(t, "crd.enable=false") {
		if d.kind == "CustomResourceDefinition" {
			t.Errorf("crd.enable=false renders CRD %s", d.name)
		}
	}
}

// TestDeploymentMatchesConfig: the manager's securityContexts, probes,
// resources, command and arguments are those of config/manager/manager.yaml.
func TestDeploymentMatchesConfig(t *testing.T) {
	var want, got appsv1.Deployment
	unmarshal(t, find(t, readConfig(t, "manager/manager.yaml"), "Deployment", "controller-manager").text, &want)
	rendered := template(t)
	unmarshal(t, find(t, rendered, "Deployment", "mxn-controller-manager").text, &got)
	wp, gp := want.Spec.Template.Spec, got.Spec.Template.Spec
	if !reflect.DeepEqual(gp.SecurityContext, wp.SecurityContext) {
		t.Errorf("pod securityContext %+v, want %+v", gp.SecurityContext, wp.SecurityContext)
	}
	if gp.TerminationGracePeriodSeconds == nil || *gp.TerminationGracePeriodSeconds != *wp.TerminationGracePeriodSeconds {
		t.Errorf("terminationGracePeriodSeconds %v, want %v", gp.TerminationGracePeriodSeconds, *wp.TerminationGracePeriodSeconds)
	}
	if len(gp.Containers) != 1 || len(wp.Containers) != 1 {
		t.Fatalf("containers: %d rendered, %d in config, want 1", len(gp.Containers), len(wp.Containers))
	}
	w, g := wp.Containers[0], gp.Containers[0]
	sc := g.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container securityContext %+v: want a read-only root, no privilege escalation, drop ALL", sc)
	}
	if gp.SecurityContext == nil || gp.SecurityContext.RunAsNonRoot == nil || !*gp.SecurityContext.RunAsNonRoot ||
		gp.SecurityContext.SeccompProfile == nil || gp.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v: want non-root, seccomp RuntimeDefault", gp.SecurityContext)
	}
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"container securityContext", g.SecurityContext, w.SecurityContext},
		{"livenessProbe", g.LivenessProbe, w.LivenessProbe},
		{"readinessProbe", g.ReadinessProbe, w.ReadinessProbe},
		{"resources", g.Resources, w.Resources},
		{"command", g.Command, w.Command},
		{"ports", g.Ports, w.Ports},
		{"selector", got.Spec.Selector, want.Spec.Selector},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s\n%+v\nwant (config/manager/manager.yaml)\n%+v", c.what, c.got, c.want)
		}
	}
	for _, a := range w.Args {
		if !slices.Contains(g.Args, a) {
			t.Errorf("args %q lack %q of config/manager/manager.yaml", g.Args, a)
		}
	}
	if !slices.Contains(g.Args, "--enable-webhooks=false") {
		t.Errorf("args %q: want --enable-webhooks=false by default (the webhooks need cert-manager)", g.Args)
	}
	find(t, rendered, "Service", "mxn-controller-manager-metrics-service")
	for _, d := range rendered {
		if strings.Contains(d.kind, "Webhook") || d.kind == "Certificate" || d.kind == "Issuer" {
			t.Errorf("webhook.enable=false renders %s %s", d.kind, d.name)
		}
	}
}

// TestWebhooksMatchConfig: with webhook.enable, the chart has the webhooks
// of config/webhook/manifests.yaml, on its own Service, and mounts the
// certificate cert-manager writes.
func TestWebhooksMatchConfig(t *testing.T) {
	rendered := template(t, "webhook.enable=true")
	for _, c := range readConfig(t, "webhook/manifests.yaml") {
		var want, got admissionv1.ValidatingWebhookConfiguration
		unmarshal(t, c.text, &want)
		unmarshal(t, find(t, rendered, c.kind, "mxn-"+c.name).text, &got)
		for i := range want.Webhooks {
			want.Webhooks[i].ClientConfig.Service.Name = "mxn-webhook-service"
			want.Webhooks[i].ClientConfig.Service.Namespace = "mxn-system"
		}
		if len(want.Webhooks) == 0 || !reflect.DeepEqual(got.Webhooks, want.Webhooks) {
			t.Errorf("%s: webhooks\n%+v\nwant\n%+v", c.name, got.Webhooks, want.Webhooks)
		}
		if got.Annotations["cert-manager.io/inject-ca-from"] != "mxn-system/mxn-serving-cert" {
			t.Errorf("%s: annotations %v", c.name, got.Annotations)
		}
	}
	find(t, rendered, "Service", "mxn-webhook-service")
	find(t, rendered, "Certificate", "mxn-serving-cert")
	var d appsv1.Deployment
	unmarshal(t, find(t, rendered, "Deployment", "mxn-controller-manager").text, &d)
	c := d.Spec.Template.Spec.Containers[0]
	if !slices.Contains(c.Args, "--enable-webhooks=true") || len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != "/tmp/k8s-webhook-server/serving-certs" ||
		len(d.Spec.Template.Spec.Volumes) != 1 || d.Spec.Template.Spec.Volumes[0].Secret.SecretName != "mxn-webhook-server-cert" {
		t.Errorf("webhook.enable=true: args %q, mounts %+v, volumes %+v", c.Args, c.VolumeMounts, d.Spec.Template.Spec.Volumes)
	}
}
