// Package jobstatus decides, from a worker Job and its pods as the API
// server shows them, whether the worker finished, whether it succeeded, and
// what it reported in its termination message. It is pure: the controller
// lists the objects and passes them in. The worker pods are assumed to run
// with restartPolicy Never, so each attempt is a pod of its own.
package jobstatus
