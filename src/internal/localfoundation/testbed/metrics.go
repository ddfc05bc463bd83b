package testbed

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Metric sums the samples of one metric on the process's status server
// whose labels include every `name="value"` pair given (e.g.
// `result="failure"`). A metric the process does not expose is an error, so
// a renamed metric fails a test instead of reading as zero.
func (p *Process) Metric(ctx context.Context, name string, labels ...string) (float64, error) {
	return scrapeMetric(ctx, "http://"+p.statusAddress+"/metrics", name, labels...)
}

// Debug fetches one of the process's debug endpoints, e.g. /debug/routes.
func (p *Process) Debug(ctx context.Context, path string) ([]byte, error) {
	body, err := get(ctx, "http://"+p.statusAddress+path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", p.name, path, err)
	}
	return body, nil
}

func get(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("answered %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return body, nil
}

func scrapeMetric(ctx context.Context, url, name string, labels ...string) (float64, error) {
	body, err := get(ctx, url)
	if err != nil {
		return 0, fmt.Errorf("scraping %s: %w", url, err)
	}
	return SumSamples(strings.NewReader(string(body)), name, labels...)
}

// SumSamples reads Prometheus text exposition and sums the samples of name
// that carry every label pair given.
func SumSamples(r io.Reader, name string, labels ...string) (float64, error) {
	total, found := 0.0, false
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		line := scanner.Text()
		if strings.HasPrefix(line, "#") || !strings.HasPrefix(line, name) {
			continue
		}
		metric, labelSet, value, ok := splitSample(line)
		if !ok || metric != name || !hasLabels(labelSet, labels) {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return 0, fmt.Errorf("metric %s: sample %q: %w", name, line, err)
		}
		total, found = total+v, true
	}
	if err := scanner.Err(); err != nil {
		return 0, err
	}
	if !found {
		return 0, fmt.Errorf("no sample of metric %s with labels %v", name, labels)
	}
	return total, nil
}

func hasLabels(labelSet string, want []string) bool {
	for _, l := range want {
		if !strings.Contains(labelSet, l) {
			return false
		}
	}
	return true
}

// splitSample splits `name{labels} value [timestamp]`.
func splitSample(line string) (metric, labelSet, value string, ok bool) {
	rest := ""
	if open := strings.IndexByte(line, '{'); open >= 0 {
		end := strings.LastIndexByte(line, '}')
		if end < open {
			return "", "", "", false
		}
		metric, labelSet, rest = line[:open], line[open+1:end], line[end+1:]
	} else {
		metric, rest, _ = strings.Cut(line, " ")
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", "", "", false
	}
	return metric, labelSet, fields[0], true
}
