package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Labels on every Job and Pod the operator creates.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	managedBy      = "mxn-operator"
	// LabelOwnerUID ties a Job to its resource (names may exceed a label's
	// 63 characters; UIDs do not).
	LabelOwnerUID = "mxn.mxnlabs.io/owner-uid"
	// LabelRun groups the Jobs of one run.
	LabelRun = "mxn.mxnlabs.io/run"
	// LabelRole says what a Job does in its run.
	LabelRole = "mxn.mxnlabs.io/role"
	// LabelIndex is a worker's or shard's index.
	LabelIndex = "mxn.mxnlabs.io/index"
	// AnnotationGeneration records the resource generation a run started with.
	AnnotationGeneration = "mxn.mxnlabs.io/generation"
)

// Roles of Jobs.
const (
	RoleInit   = "init"
	RoleWorker = "worker"
	RoleVerify = "verify"
	RoleShard  = "shard"
)

// maxNameLen keeps Job names usable as label values (the Job controller
// labels its pods with job-name).
const maxNameLen = 63

// jobName joins parts with '-' and, past 63 characters, shortens the first
// part (the resource's name) and adds a hash of the whole, so names stay
// deterministic and distinct.
func jobName(owner string, parts ...string) string {
	suffix := strings.Join(parts, "-")
	full := owner + "-" + suffix
	if len(full) <= maxNameLen {
		return full
	}
	sum := sha256.Sum256([]byte(full))
	hash := hex.EncodeToString(sum[:])[:8]
	keep := maxNameLen - len(suffix) - len(hash) - 2
	if keep < 1 {
		// Suffixes are short by construction; keep the hash at least.
		return (hash + "-" + suffix)[:min(maxNameLen, len(hash)+1+len(suffix))]
	}
	return strings.TrimRight(owner[:keep], "-.") + "-" + hash + "-" + suffix
}
