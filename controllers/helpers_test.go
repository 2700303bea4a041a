package controllers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mxnlabs/mxn/pkg/report"
)

// mxnRun runs the built mxn against the suite's aerolite, as a user would.
func mxnRun(args ...string) string {
	cmd := exec.Command(mxnBin, args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("AEROSPIKE_HOSTS=%s:%d", server.Host(), server.Port()))
	out, err := cmd.CombinedOutput()
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "mxn %s: %s", strings.Join(args, " "), out)
	return string(out)
}

// jobsOfRole lists the Jobs of a role in a namespace.
func jobsOfRole(ns, role string) []batchv1.Job {
	var list batchv1.JobList
	ExpectWithOffset(1, k8s.List(context.Background(), &list, client.InNamespace(ns), client.MatchingLabels{LabelRole: role})).To(Succeed())
	return list.Items
}

// podReports decodes the termination messages of the pods of a role: what
// the workers really reported.
func podReports(ns, role string) []*report.Report {
	var pods corev1.PodList
	ExpectWithOffset(1, k8s.List(context.Background(), &pods, client.InNamespace(ns), client.MatchingLabels{LabelRole: role})).To(Succeed())
	var out []*report.Report
	for _, p := range pods.Items {
		for _, cs := range p.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil && t.Message != "" {
				r, err := report.Decode([]byte(t.Message))
				ExpectWithOffset(1, err).NotTo(HaveOccurred())
				out = append(out, r)
			}
		}
	}
	return out
}
