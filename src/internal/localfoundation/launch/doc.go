// Package launch holds what the local harnesses (scripts/run's foundation,
// the acceptance testbed, the scale benchmark) share to launch the copilot,
// the pilot and a gateway: free loopback addresses, configuration files
// written as BOSH renders them, and the gateway's SDS files.
//
// Concurrency: stateless functions, safe for concurrent use.
package launch
