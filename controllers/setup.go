package controllers

import (
	"fmt"
	"time"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
)

// Options configure the three reconcilers.
type Options struct {
	Clock     clock.PassiveClock
	Connector Connector
	Workers   WorkerDefaults
	// StatusInterval is the least time between status writes of a running
	// LoadTest (default 1 s).
	StatusInterval time.Duration
	// StartTimeout is how long LoadTest workers wait for each other at the
	// common start (default 10 min).
	StartTimeout time.Duration
}

// Setup registers the LoadTest, Reconciliation and Cleanup controllers.
func Setup(mgr ctrl.Manager, o Options) error {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	lt := &LoadTestReconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(), Clock: o.Clock, Connector: o.Connector,
		Recorder: mgr.GetEventRecorder("mxn-loadtest"), Workers: o.Workers, StatusInterval: o.StatusInterval, StartTimeout: o.StartTimeout,
	}
	if err := lt.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up LoadTest controller: %w", err)
	}
	sched := scheduler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Clock: o.Clock, Workers: o.Workers, counted: &runsSeen{}}
	rc := &ReconciliationReconciler{scheduler: sched, Recorder: mgr.GetEventRecorder("mxn-reconciliation")}
	if err := rc.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up Reconciliation controller: %w", err)
	}
	cl := &CleanupReconciler{scheduler: sched, Recorder: mgr.GetEventRecorder("mxn-cleanup")}
	if err := cl.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up Cleanup controller: %w", err)
	}
	return nil
}
