// Package controllers holds the reconcilers of the mxn operator: one per
// kind (LoadTest, Reconciliation, Cleanup), and the small pieces they share.
package controllers
