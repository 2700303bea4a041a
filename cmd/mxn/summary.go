package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/mxnlabs/mxn/pkg/report"
)

// maxReportError bounds the error line in a report, so that the report
// still fits in a termination message.
const maxReportError = 1024

// withReport runs body, the whole of a worker command (rtxns, init, cln,
// rcn, verify), and then, with --summary-file, writes the report body
// filled in: also when body failed, with the error as one line. The
// command's exit status is body's. StartUnixMs defaults to when body
// started, EndUnixMs to when it returned.
func withReport(cmd *cobra.Command, kind string, body func(rep *report.Report) error) error {
	rep := &report.Report{Kind: kind, StartUnixMs: time.Now().UnixMilli()}
	err := body(rep)
	cfg, _ := cmd.Context().Value(configKey{}).(*globalConfig)
	if cfg == nil || cfg.SummaryFile == "" {
		return err
	}
	if rep.EndUnixMs == 0 {
		rep.EndUnixMs = time.Now().UnixMilli()
	}
	if err != nil {
		rep.Error = oneLine(err)
		if len(rep.Error) > maxReportError {
			rep.Error = rep.Error[:maxReportError] + "..."
		}
	}
	if werr := report.WriteFile(cfg.SummaryFile, rep); werr != nil {
		if err != nil {
			cfg.Log.Errf("--summary-file %s: %v", cfg.SummaryFile, werr)
			return err
		}
		return werr
	}
	return err
}
