package jobstatus

import "github.com/mxnlabs/mxn/api/v1alpha1"

// Count counts the workers by state: running as given (the pods running
// now), and the finished outcomes as succeeded or failed.
func Count(outcomes []Outcome, running int) v1alpha1.WorkerCounts {
	c := v1alpha1.WorkerCounts{Active: int32(running)}
	for _, o := range outcomes {
		switch {
		case !o.Finished:
		case o.Succeeded:
			c.Succeeded++
		default:
			c.Failed++
		}
	}
	return c
}
