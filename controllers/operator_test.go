package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/pkg/aerolite"
)

// loadSample reads a sample from config/samples into obj, pointed at the
// suite's aerolite.
func loadSample(file string, obj client.Object, ns, set string) {
	b, err := os.ReadFile(filepath.Join("..", "config", "samples", file))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	ExpectWithOffset(1, yaml.UnmarshalStrict(b, obj)).To(Succeed())
	obj.SetNamespace(ns)
	spec := aeroliteSpec(set)
	switch o := obj.(type) {
	case *mxnv1.LoadTest:
		o.Spec.Aerospike.Seeds, o.Spec.Aerospike.Set = spec.Seeds, set
	case *mxnv1.Reconciliation:
		o.Spec.Aerospike.Seeds, o.Spec.Aerospike.Set = spec.Seeds, set
	case *mxnv1.Cleanup:
		o.Spec.Aerospike.Seeds, o.Spec.Aerospike.Set = spec.Seeds, set
	}
}

var _ = Describe("The operator", func() {
	ctx := context.Background()
	AfterEach(func() { testClock.Set(time.Now()) })

	It("runs the samples: the LoadTest succeeds verified, the scheduled Reconciliation and the Cleanup run clean", func() {
		ns := newNamespace()
		set := "samples"
		var lt mxnv1.LoadTest
		loadSample("mxn_v1alpha1_loadtest.yaml", &lt, ns, set)
		Expect(lt.Spec.FailurePercent).To(BeNumerically(">", 0), "the sample injects failures")
		Expect(lt.Spec.Mode).To(Equal("transfer"))
		Expect(k8s.Create(ctx, &lt)).To(Succeed())
		Eventually(phaseOf(ns, lt.Name), 3*time.Minute, 250*time.Millisecond).Should(Equal(mxnv1.LoadTestSucceeded))
		got := getLT(ns, lt.Name)
		Expect(got.Status.Verification.Passed).To(BeTrue(), got.Status.Verification.Verdict)
		Expect(got.Status.Results.Attempted).To(Equal(int64(lt.Spec.Workers) * *lt.Spec.TransactionsPerWorker))

		var rc mxnv1.Reconciliation
		loadSample("mxn_v1alpha1_reconciliation.yaml", &rc, ns, set)
		Expect(k8s.Create(ctx, &rc)).To(Succeed())
		testClock.Set(time.Now().Truncate(5 * time.Minute).Add(5*time.Minute + time.Second))
		poke(&rc)
		Eventually(lastRunName(ns, rc.Name), time.Minute, 200*time.Millisecond).ShouldNot(BeEmpty())
		lr := getRC(ns, rc.Name).Status.LastRun
		Expect(lr.Phase).To(Equal(mxnv1.RunSucceeded), lr.Message)
		Expect(lr.AccountsChecked).To(Equal(lt.Spec.Records))
		Expect(lr.Drifted).To(BeZero())
		Expect(lr.Conserved).To(BeTrue())

		var cl mxnv1.Cleanup
		loadSample("mxn_v1alpha1_cleanup.yaml", &cl, ns, set)
		Expect(k8s.Create(ctx, &cl)).To(Succeed())
		testClock.Set(testClock.Now().Truncate(time.Hour).Add(time.Hour + time.Second))
		poke(&cl)
		Eventually(func() *mxnv1.CleanupRun { return getCL(ns, cl.Name).Status.LastRun }, time.Minute, 200*time.Millisecond).ShouldNot(BeNil())
		clr := getCL(ns, cl.Name).Status.LastRun
		Expect(clr.Phase).To(Equal(mxnv1.RunSucceeded), clr.Message)
		Expect(clr.Errors).To(BeZero())
	})

	It("never shows an Aerospike password: not in objects, events or logs", func() {
		const password = "pw-7f3a9c-never-shown"
		secure, err := aerolite.NewServer(aerolite.Options{Users: map[string]string{"loader": password}})
		Expect(err).NotTo(HaveOccurred())
		defer secure.Close()
		ns := newNamespace()
		Expect(k8s.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aerospike-auth"},
			StringData: map[string]string{"password": password},
		})).To(Succeed())
		lt := newLoadTest(ns, "secure", "secure")
		lt.Spec.Aerospike.Seeds = []mxnv1.SeedHost{{Host: secure.Host(), Port: int32(secure.Port())}}
		lt.Spec.Aerospike.Auth = &mxnv1.AuthSpec{User: "loader", SecretName: "aerospike-auth"}
		lt.Spec.TransactionsPerWorker = ptrTo(int64(30))
		Expect(k8s.Create(ctx, lt)).To(Succeed())
		Eventually(phaseOf(ns, "secure"), 2*time.Minute, 200*time.Millisecond).Should(Equal(mxnv1.LoadTestSucceeded), "the password reached the workers")
		Expect(getLT(ns, "secure").Status.Verification.Passed).To(BeTrue())

		By("the worker pods take it from the Secret, by reference")
		for _, j := range jobsOfRole(ns, RoleWorker) {
			var ref *corev1.SecretKeySelector
			for _, e := range j.Spec.Template.Spec.Containers[0].Env {
				if e.Name == "AEROSPIKE_PASSWORD" {
					Expect(e.Value).To(BeEmpty())
					ref = e.ValueFrom.SecretKeyRef
				}
			}
			Expect(ref).NotTo(BeNil())
			Expect(ref.Name).To(Equal("aerospike-auth"))
		}

		By("nothing the suite can read holds it")
		var dump strings.Builder
		for _, list := range []client.ObjectList{&mxnv1.LoadTestList{}, &batchv1.JobList{}, &corev1.PodList{}, &eventsv1.EventList{}, &corev1.EventList{}} {
			Expect(k8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
			b, err := json.Marshal(list)
			Expect(err).NotTo(HaveOccurred())
			dump.Write(b)
		}
		Expect(dump.String()).To(ContainSubstring("aerospike-auth"))
		Expect(dump.String()).NotTo(ContainSubstring(password))
		Expect(logSink.String()).NotTo(ContainSubstring(password))
	})

	It("creates all 50 Jobs of a 50-worker LoadTest within 5 s, and writes its status about once a second while it runs", func() {
		ns := newNamespace()
		mxnRun("init", "--records", "500", "--set", "wide")
		release := holds.hold(ns)
		defer release()
		lt := newLoadTest(ns, "wide", "wide")
		lt.Spec.Init = false
		lt.Spec.Workers = 50
		lt.Spec.Records = 500
		lt.Spec.Concurrency = 1
		lt.Spec.Duration = &metav1.Duration{Duration: 6 * time.Second}
		lt.Spec.Rate = 20

		wc, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())
		w, err := wc.Watch(ctx, &mxnv1.LoadTestList{}, client.InNamespace(ns))
		Expect(err).NotTo(HaveOccurred())
		defer func() { w.Stop() }()

		created := time.Now()
		Expect(k8s.Create(ctx, lt)).To(Succeed())
		Eventually(func() int { return len(jobsOfRole(ns, RoleWorker)) }, 5*time.Second, 50*time.Millisecond).Should(Equal(50))
		AddReportEntry("50 worker Jobs created in", time.Since(created).String())
		release()

		var writes, phases int
		var running time.Duration
		var runningSince time.Time
		var last *mxnv1.LoadTestStatus
		lastRV := ""
		timeout := time.After(4 * time.Minute)
	loop:
		for {
			select {
			case ev, ok := <-w.ResultChan():
				if !ok {
					// The API server ended the watch: go on from the last
					// version seen, missing nothing.
					w, err = wc.Watch(ctx, &mxnv1.LoadTestList{}, client.InNamespace(ns), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: lastRV}})
					Expect(err).NotTo(HaveOccurred())
					continue
				}
				if ev.Type != watch.Modified {
					continue
				}
				obj := ev.Object.(*mxnv1.LoadTest)
				lastRV = obj.ResourceVersion
				if last != nil && equality.Semantic.DeepEqual(*last, obj.Status) {
					continue // a metadata change
				}
				if last == nil || last.Phase != obj.Status.Phase {
					phases++
					if obj.Status.Phase == mxnv1.LoadTestRunning {
						runningSince = time.Now()
					} else if last != nil && last.Phase == mxnv1.LoadTestRunning {
						running = time.Since(runningSince)
					}
				} else if obj.Status.Phase == mxnv1.LoadTestRunning {
					writes++
				}
				last = obj.Status.DeepCopy()
				if obj.Status.Phase == mxnv1.LoadTestSucceeded || obj.Status.Phase == mxnv1.LoadTestFailed {
					break loop
				}
			case <-timeout:
				Fail("the 50-worker LoadTest did not finish in 4 minutes")
			}
		}
		Expect(last.Phase).To(Equal(mxnv1.LoadTestSucceeded), last.Message)
		Expect(last.Workers.Succeeded).To(Equal(int32(50)))
		AddReportEntry("status writes while running", fmt.Sprintf("%d in %v, besides %d phase changes", writes, running.Round(time.Millisecond), phases))
		Expect(running).To(BeNumerically(">", 0))
		Expect(float64(writes)).To(BeNumerically("<=", running.Seconds()+2), "about one status write per second while running")
	})
})
