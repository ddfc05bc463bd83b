package lifecycle

import (
	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"
)

// ProblemLog reports the problems of repeated builds (hosts dropped, config
// objects that do not translate) without repeating itself: a problem is
// logged when it first appears and when it is resolved, and a gauge holds
// how many the last build had. Not safe for concurrent use: each builder
// owns one.
type ProblemLog struct {
	logger   lager.Logger
	action   string
	gauge    prometheus.Gauge
	reported map[string]bool
}

// NewProblemLog logs under action (e.g. "compile-problem").
func NewProblemLog(logger lager.Logger, action string, gauge prometheus.Gauge) *ProblemLog {
	return &ProblemLog{logger: logger, action: action, gauge: gauge, reported: map[string]bool{}}
}

// Report records the problems of one build.
func (p *ProblemLog) Report(errs []error) {
	p.gauge.Set(float64(len(errs)))
	current := make(map[string]bool, len(errs))
	for _, err := range errs {
		msg := err.Error()
		current[msg] = true
		if !p.reported[msg] {
			p.logger.Info(p.action, lager.Data{"problem": msg})
		}
	}
	for msg := range p.reported {
		if !current[msg] {
			p.logger.Info(p.action+"-resolved", lager.Data{"problem": msg})
		}
	}
	p.reported = current
}
