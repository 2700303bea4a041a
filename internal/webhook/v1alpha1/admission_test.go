package v1alpha1

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	mxnv1alpha1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

var nameSeq atomic.Int64

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", strings.ToLower(prefix), nameSeq.Add(1))
}

// baseSpec is a valid spec of each kind, as a user would write it (no
// defaults), in the unstructured form so that a test can set a field to a
// value the typed structs would drop (0 with omitempty) or omit a required
// one.
func baseSpec(kind string) map[string]any {
	aerospike := map[string]any{
		"seeds": []any{map[string]any{"host": "aerolite.mxn-system.svc", "port": int64(3000)}},
	}
	switch kind {
	case "LoadTest":
		return map[string]any{"aerospike": aerospike, "transactionsPerWorker": int64(100)}
	case "Reconciliation", "Cleanup":
		return map[string]any{"aerospike": aerospike}
	}
	panic("unknown kind " + kind)
}

func newObject(kind string, mutate func(spec map[string]any)) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetGroupVersionKind(mxnv1alpha1.GroupVersion.WithKind(kind))
	u.SetName(uniqueName(kind))
	u.SetNamespace("default")
	spec := baseSpec(kind)
	if mutate != nil {
		mutate(spec)
	}
	u.Object["spec"] = spec
	return u
}

// set returns a mutation setting the field at the dotted path (from spec) to v.
func set(path string, v any) func(map[string]any) {
	return func(spec map[string]any) {
		Expect(unstructured.SetNestedField(spec, runtime.DeepCopyJSONValue(v), strings.Split(path, ".")...)).To(Succeed())
	}
}

// unset returns a mutation removing the field at the dotted path.
func unset(path string) func(map[string]any) {
	return func(spec map[string]any) { unstructured.RemoveNestedField(spec, strings.Split(path, ".")...) }
}

func all(ms ...func(map[string]any)) func(map[string]any) {
	return func(spec map[string]any) {
		for _, m := range ms {
			m(spec)
		}
	}
}

func seedPort(port int64) func(map[string]any) {
	return set("aerospike.seeds", []any{map[string]any{"host": "aerolite", "port": port}})
}

// expectRefused creates obj and expects the apiserver to refuse it with a
// message naming each of want (the field, and what is wrong with it).
func expectRefused(obj client.Object, want ...string) {
	GinkgoHelper()
	err := k8sClient.Create(ctx, obj)
	Expect(err).To(HaveOccurred(), "the apiserver accepted %s", obj.GetName())
	GinkgoWriter.Println("refused:", err)
	for _, w := range want {
		Expect(err.Error()).To(ContainSubstring(w))
	}
}

var _ = Describe("Admission", func() {
	DescribeTable("refuses a bad LoadTest, naming the field",
		func(mutate func(map[string]any), want ...string) {
			expectRefused(newObject("LoadTest", mutate), want...)
		},
		Entry("seeds and clusterRef both", set("aerospike.clusterRef", map[string]any{"name": "aero"}),
			"spec.aerospike", "exactly one of seeds or clusterRef"),
		Entry("neither seeds nor clusterRef", unset("aerospike.seeds"),
			"spec.aerospike", "exactly one of seeds or clusterRef"),
		Entry("namespace not matching the pattern", set("aerospike.namespace", "bad ns!"), "spec.aerospike.namespace"),
		Entry("namespace too long", set("aerospike.namespace", strings.Repeat("n", 32)), "spec.aerospike.namespace"),
		Entry("set not matching the pattern", set("aerospike.set", "a/b"), "spec.aerospike.set"),
		Entry("set too long", set("aerospike.set", strings.Repeat("s", 61)), "spec.aerospike.set"),
		Entry("port 0", seedPort(0), "spec.aerospike.seeds[0].port"),
		Entry("port 65536", seedPort(65536), "spec.aerospike.seeds[0].port"),
		Entry("workers 0", set("workers", int64(0)), "spec.workers"),
		Entry("workers 1001", set("workers", int64(1001)), "spec.workers"),
		Entry("records 0", set("records", int64(0)), "spec.records"),
		Entry("neither transactionsPerWorker nor duration", unset("transactionsPerWorker"),
			"one of transactionsPerWorker or duration is required"),
		Entry("legs with mode single", set("legs", int64(3)), "spec.legs", "only valid with mode transfer"),
		Entry("legs 1", all(set("mode", "transfer"), set("legs", int64(1))), "spec.legs"),
		Entry("legs 17", all(set("mode", "transfer"), set("legs", int64(17))), "spec.legs"),
		Entry(`mode "foo"`, set("mode", "foo"), "spec.mode"),
		Entry("failurePercent 1001", set("failurePercent", int64(1001)), "spec.failurePercent"),
		Entry(`zipf "0.5"`, set("zipf", "0.5"), "spec.zipf", "zipf must be 0 (uniform) or above 1"),
		Entry(`zipf "abc"`, set("zipf", "abc"), "spec.zipf"),
		Entry("concurrency 0", set("concurrency", int64(0)), "spec.concurrency"),
		Entry("runID with uppercase", set("runID", "Run1"), "spec.runID"),
		Entry("tls certFile without keyFile",
			set("aerospike.tls", map[string]any{"secretName": "tls", "tlsName": "aero", "certFile": "tls.crt"}),
			"spec.aerospike.tls", "certFile and keyFile go together"),
		Entry("auth without secretName", set("aerospike.auth", map[string]any{"user": "admin"}),
			"spec.aerospike.auth.secretName"),
		// metav1.Duration is a plain string in the schema; CEL's duration() parses it.
		Entry("duration 0s", set("duration", "0s"), "spec.duration", "must be a duration above 0"),
		Entry("duration negative", set("duration", "-1m"), "spec.duration", "must be a duration above 0"),
		Entry("duration not a duration", set("duration", "soon"), "spec.duration"),
		Entry("lock.ttl 0s", set("lock", map[string]any{"ttl": "0s"}), "spec.lock.ttl", "must be a duration above 0"),
		Entry("lock.grace negative", set("lock", map[string]any{"grace": "-1s"}), "spec.lock.grace", "must be a duration of 0 or more"),
		Entry("lock.attempts 0", set("lock", map[string]any{"attempts": int64(0)}), "spec.lock.attempts"),
	)

	for _, kind := range []string{"Reconciliation", "Cleanup"} {
		DescribeTable("refuses a bad "+kind+", naming the field",
			func(mutate func(map[string]any), want ...string) {
				expectRefused(newObject(kind, mutate), want...)
			},
			Entry("seeds and clusterRef both", set("aerospike.clusterRef", map[string]any{"name": "aero"}),
				"spec.aerospike", "exactly one of seeds or clusterRef"),
			Entry("shards 0", set("shards", int64(0)), "spec.shards"),
			Entry("shards 4097", set("shards", int64(4097)), "spec.shards"),
			Entry(`concurrencyPolicy "Sometimes"`, set("concurrencyPolicy", "Sometimes"), "spec.concurrencyPolicy"),
			Entry(`schedule "not a cron"`, set("schedule", "not a cron"),
				`spec.schedule: Invalid value: "not a cron"`, "not a valid cron schedule"),
			Entry(`schedule "CRON_TZ=UTC * * * * *"`, set("schedule", "CRON_TZ=UTC * * * * *"),
				"spec.schedule", "set spec.timeZone instead"),
			Entry(`schedule "TZ=UTC"`, set("schedule", "TZ=UTC"), "spec.schedule", "set spec.timeZone instead"),
			Entry("schedule with six fields", set("schedule", "0 */5 * * * *"), "spec.schedule"),
			Entry("schedule that never fires", set("schedule", "0 0 30 2 *"), "spec.schedule", "never fires"),
			Entry(`timeZone "Mars/Olympus"`, all(set("schedule", "@hourly"), set("timeZone", "Mars/Olympus")),
				`spec.timeZone: Invalid value: "Mars/Olympus"`, "unknown time zone"),
			Entry(`timeZone "Local"`, set("timeZone", "Local"), "spec.timeZone"),
			Entry("startingDeadlineSeconds negative", set("startingDeadlineSeconds", int64(-1)), "spec.startingDeadlineSeconds"),
			Entry("successfulRunsHistoryLimit 101", set("successfulRunsHistoryLimit", int64(101)), "spec.successfulRunsHistoryLimit"),
			Entry("lock.ttl negative", set("lock", map[string]any{"ttl": "-5s"}), "spec.lock.ttl", "must be a duration above 0"),
		)
	}

	It("refuses a Reconciliation whose maxDriftedReported is 101", func() {
		expectRefused(newObject("Reconciliation", set("maxDriftedReported", int64(101))), "spec.maxDriftedReported")
	})

	It("refuses a Cleanup whose minAge is negative", func() {
		expectRefused(newObject("Cleanup", set("minAge", "-1h")), "spec.minAge", "must be a duration of 0 or more")
	})

	It("reports every bad field of an object at once", func() {
		expectRefused(newObject("Reconciliation", all(set("schedule", "nope"), set("timeZone", "Nowhere/Else"))),
			"spec.schedule", "spec.timeZone")
	})

	It("refuses a bad schedule on update", func() {
		r := newObject("Reconciliation", set("schedule", "*/5 * * * *"))
		Expect(k8sClient.Create(ctx, r)).To(Succeed())
		Expect(unstructured.SetNestedField(r.Object, "every five minutes", "spec", "schedule")).To(Succeed())
		err := k8sClient.Update(ctx, r)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring(`spec.schedule: Invalid value: "every five minutes"`))
	})

	Context("the LoadTest transition rule", func() {
		var lt *mxnv1alpha1.LoadTest

		BeforeEach(func() {
			lt = &mxnv1alpha1.LoadTest{
				ObjectMeta: metav1.ObjectMeta{Name: uniqueName("loadtest"), Namespace: "default"},
				Spec: mxnv1alpha1.LoadTestSpec{
					Aerospike:             mxnv1alpha1.AerospikeSpec{Seeds: []mxnv1alpha1.SeedHost{{Host: "aerolite"}}},
					TransactionsPerWorker: ptr.To[int64](10),
					Workers:               2,
					RunID:                 "first",
				},
			}
			Expect(k8sClient.Create(ctx, lt)).To(Succeed())
		})

		setPhase := func(phase mxnv1alpha1.LoadTestPhase) {
			GinkgoHelper()
			lt.Status.Phase = phase
			lt.Status.RunID = lt.Spec.RunID
			Expect(k8sClient.Status().Update(ctx, lt)).To(Succeed())
		}

		It("refuses a new runID while the LoadTest is running", func() {
			setPhase(mxnv1alpha1.LoadTestRunning)
			lt.Spec.RunID = "second"
			err := k8sClient.Update(ctx, lt)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring("spec.runID and spec.workers cannot change while the LoadTest is running"))
		})

		It("refuses removing the runID while the LoadTest is running", func() {
			setPhase(mxnv1alpha1.LoadTestStarting)
			lt.Spec.RunID = ""
			err := k8sClient.Update(ctx, lt)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring("spec.runID and spec.workers cannot change while the LoadTest is running"))
		})

		It("refuses new workers while the LoadTest is running", func() {
			setPhase(mxnv1alpha1.LoadTestVerifying)
			lt.Spec.Workers = 3
			err := k8sClient.Update(ctx, lt)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring("spec.workers"))
		})

		It("accepts other spec changes while the LoadTest is running", func() {
			setPhase(mxnv1alpha1.LoadTestRunning)
			lt.Spec.TTLSecondsAfterFinished = ptr.To[int32](60)
			Expect(k8sClient.Update(ctx, lt)).To(Succeed())
		})

		It("accepts a new runID once the LoadTest has finished", func() {
			setPhase(mxnv1alpha1.LoadTestSucceeded)
			lt.Spec.RunID = "second"
			Expect(k8sClient.Update(ctx, lt)).To(Succeed())
		})
	})

	Context("a valid object of each kind", func() {
		It("accepts a minimal LoadTest and applies the defaults", func() {
			u := newObject("LoadTest", nil)
			Expect(k8sClient.Create(ctx, u)).To(Succeed())
			var got mxnv1alpha1.LoadTest
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), &got)).To(Succeed())
			Expect(got.Spec.Aerospike.Namespace).To(Equal("test"))
			Expect(got.Spec.Aerospike.Set).To(Equal("mxn"))
			Expect(got.Spec.Workers).To(Equal(int32(1)))
			Expect(got.Spec.Records).To(Equal(int64(1000)))
			Expect(got.Spec.Concurrency).To(Equal(int32(8)))
			Expect(got.Spec.Mode).To(Equal("single"))
			Expect(got.Spec.Verify).To(Equal(ptr.To(true)))
		})

		It("accepts a full LoadTest", func() {
			u := newObject("LoadTest", all(
				set("mode", "transfer"), set("legs", int64(16)), set("zipf", "1.2"), set("failurePercent", int64(1000)),
				set("workers", int64(1000)), set("duration", "5m"), set("runID", "run-1"), set("zipf", "0"),
				set("lock", map[string]any{"ttl": "2s", "grace": "0s", "attempts": int64(100)}),
				set("aerospike.namespace", "bar_1-x"), set("aerospike.set", strings.Repeat("s", 60)),
				set("aerospike.auth", map[string]any{"user": "admin", "secretName": "aero-auth"}),
				set("aerospike.tls", map[string]any{"secretName": "tls", "tlsName": "aero", "certFile": "tls.crt", "keyFile": "tls.key"}),
			))
			Expect(k8sClient.Create(ctx, u)).To(Succeed())
			var got mxnv1alpha1.LoadTest
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), &got)).To(Succeed())
			Expect(got.Spec.Aerospike.TLS.CAFile).To(Equal("ca.crt"))
		})

		It("accepts a LoadTest reaching its cluster through clusterRef", func() {
			Expect(k8sClient.Create(ctx, newObject("LoadTest", all(unset("aerospike.seeds"),
				set("aerospike.clusterRef", map[string]any{"name": "aerocluster"}))))).To(Succeed())
		})

		It("accepts a minimal Reconciliation and applies the defaults", func() {
			u := newObject("Reconciliation", nil)
			Expect(k8sClient.Create(ctx, u)).To(Succeed())
			var got mxnv1alpha1.Reconciliation
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), &got)).To(Succeed())
			Expect(got.Spec.Aerospike.Namespace).To(Equal("test"))
			Expect(got.Spec.Aerospike.Set).To(Equal("mxn"))
			Expect(got.Spec.Shards).To(Equal(int32(1)))
			Expect(got.Spec.ConcurrencyPolicy).To(Equal(mxnv1alpha1.ForbidConcurrent))
			Expect(got.Spec.MaxDriftedReported).To(Equal(int32(20)))
		})

		It("accepts a minimal Cleanup and applies the defaults", func() {
			u := newObject("Cleanup", nil)
			Expect(k8sClient.Create(ctx, u)).To(Succeed())
			var got mxnv1alpha1.Cleanup
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), &got)).To(Succeed())
			Expect(got.Spec.Aerospike.Namespace).To(Equal("test"))
			Expect(got.Spec.Shards).To(Equal(int32(1)))
			Expect(got.Spec.ConcurrencyPolicy).To(Equal(mxnv1alpha1.ForbidConcurrent))
		})

		for _, kind := range []string{"Reconciliation", "Cleanup"} {
			DescribeTable("accepts a "+kind+" on a schedule",
				func(schedule, tz string) {
					m := set("schedule", schedule)
					if tz != "" {
						m = all(m, set("timeZone", tz))
					}
					Expect(k8sClient.Create(ctx, newObject(kind, all(m, set("shards", int64(4096)))))).To(Succeed())
				},
				Entry("every five minutes", "*/5 * * * *", ""),
				Entry("hourly in Paris", "@hourly", "Europe/Paris"),
				Entry("every 90 minutes in UTC", "@every 90m", "UTC"),
				Entry("weekdays at 02:30 in New York", "30 2 * * MON-FRI", "America/New_York"),
			)
		}
	})

	It("accepts each sample of config/samples (server-side dry run)", func() {
		paths, err := filepath.Glob(filepath.Join("..", "..", "..", "config", "samples", "mxn_v1alpha1_*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(paths).To(HaveLen(3))
		for _, p := range paths {
			data, err := os.ReadFile(p)
			Expect(err).NotTo(HaveOccurred())
			u := &unstructured.Unstructured{}
			Expect(yaml.Unmarshal(data, &u.Object)).To(Succeed(), p)
			u.SetNamespace("default")
			Expect(k8sClient.Create(ctx, u, client.DryRunAll)).To(Succeed(), p)
		}
	})
})
