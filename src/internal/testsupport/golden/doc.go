// Package golden compares test output with files under testdata/ and
// rewrites them when the test binary runs with -update-golden:
//
//	go test ./internal/meshconfig -update-golden
//
// It is test support only: no pipeline package imports it outside tests.
package golden
