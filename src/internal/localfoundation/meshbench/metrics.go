package meshbench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics are one scrape of a process's /metrics: every series of a
// family summed, histograms as `<name>_count` and `<name>_sum`.
type Metrics map[string]float64

// Sub is m − before, name by name.
func (m Metrics) Sub(before Metrics) Metrics {
	out := Metrics{}
	for name, v := range m {
		out[name] = v - before[name]
	}
	return out
}

var scrapeClient = &http.Client{Timeout: 10 * time.Second}

// Scrape reads http://<statusAddress>/metrics.
func Scrape(ctx context.Context, statusAddress string) (Metrics, error) {
	body, status, err := get(ctx, "http://"+statusAddress+"/metrics")
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("%s/metrics: status %d", statusAddress, status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s/metrics: %w", statusAddress, err)
	}
	out := Metrics{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			switch {
			case m.Counter != nil:
				out[name] += m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[name] += m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[name+"_count"] += float64(m.GetHistogram().GetSampleCount())
				out[name+"_sum"] += m.GetHistogram().GetSampleSum()
			case m.Untyped != nil:
				out[name] += m.GetUntyped().GetValue()
			}
		}
	}
	return out, nil
}

// Ready reports whether http://<statusAddress>/readyz answers 200.
func Ready(ctx context.Context, statusAddress string) bool {
	_, status, err := get(ctx, "http://"+statusAddress+"/readyz")
	return err == nil && status == http.StatusOK
}

func get(ctx context.Context, url string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := scrapeClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return body, resp.StatusCode, err
}
