package txn

// WithFirstPassHook returns o with f run at each stage of the first pass:
// "read" once every account was read (t1) and before the log scan, "logs"
// after the log scan and before the accounts are read again (t2).
func WithFirstPassHook(o ReconcileOptions, f func(stage string)) ReconcileOptions {
	o.hook = f
	return o
}
