package report

import (
	"fmt"
	"io"

	"github.com/hallmark-dev/hallmark/vex"
)

// openvexHandler writes the findings as an OpenVEX document; the vex room owns the format.
type openvexHandler struct {
	collector
	w    io.Writer
	opts Options
}

func (h *openvexHandler) Flush() error {
	res, err := h.flush()
	if err != nil {
		return err
	}
	name, ver := toolOf(h.opts)
	err = vex.WriteOpenVEX(h.w, res, vex.WriteOptions{Author: h.opts.Author, ToolName: name, ToolVersion: ver, Timestamp: h.opts.Timestamp})
	if err != nil {
		return fmt.Errorf("report: openvex: %w", err)
	}
	return nil
}
