// Package config reads the configuration of the acceptance suite that runs
// against a real Cloud Foundry foundation (acceptance/cf): a JSON file named
// by $CONFIG, as cf-acceptance-tests reads theirs, saying which API to log
// in to and how, which domains to use, where the cf-mesh gateway is, and how
// long to wait. Load defaults and validates it; Validate names every
// problem with its JSON field.
//
// The suite is outside the pipeline it tests
//
//	Cloud Controller + NATS → copilot → MCP → pilot → xDS → gateways
//
// and drives it only through the cf CLI, meshctl, bosh and HTTP.
//
// Concurrency: a Config is a value; Load has no state.
package config
