// Package gatewaybootstrap writes the Envoy bootstrap of an ingress gateway
// that takes its configuration from cf-mesh pilots: node
// `router~<ip>~<id>~<domain>`, an ADS cluster listing every pilot, LDS and
// CDS over ADS (RDS and EDS follow on the same stream), and an admin
// listener on loopback.
//
// It mirrors the istio-release gateway bootstrap (cf-contracts.md §10)
// without its deprecated v2 fields. The gateway BOSH job and `scripts/run`
// render it; every bootstrap passes the proto's ValidateAll.
//
// Concurrency: Build holds no state.
package gatewaybootstrap
