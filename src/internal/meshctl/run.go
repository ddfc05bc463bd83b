package meshctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and failed: one line on stderr says why
	ExitUsage   = 2 // bad command line
)

// Default addresses of the loopback status servers (copilot.DefaultStatusAddress
// and pilot.DefaultStatusAddress) and the default time limit of a command.
const (
	DefaultCopilotAddress = "127.0.0.1:9014"
	DefaultPilotAddress   = "127.0.0.1:15014"
	DefaultTimeout        = 30 * time.Second
)

// Env is what a command may touch of the world outside its arguments.
type Env struct {
	Stdout, Stderr io.Writer
	// Getenv reads environment variables (CF_HOME, HOME).
	Getenv func(string) string
	// Hostname is the default gateway node id of `bootstrap gateway`.
	Hostname func() (string, error)
	// Now is the clock, for how long proxies have been connected.
	Now func() time.Time
	// HTTPClient talks to the status servers; nil means a default client.
	HTTPClient *http.Client
}

// usageError is a bad command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// command is one meshctl command.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"routes", "the copilot's routing table: routes, destinations, weights, endpoints", runRoutes},
		{"proxies", "every proxy connected to the pilot: class, versions sent and ACKed, NACKs", runProxies},
		{"config-dump", "what the pilot serves one proxy, in Envoy's config_dump format", runConfigDump},
		{"bootstrap", "print a validated Envoy bootstrap (`bootstrap gateway`)", runBootstrap},
		{"weights", "get, set or reset a route's destination weights in Cloud Controller", runWeights},
	}
}

// Run executes the meshctl command line args (without the program name)
// and returns the process's exit code. Failures are one line on
// env.Stderr: `meshctl: <reason>`.
func Run(ctx context.Context, args []string, env Env) int {
	env = env.withDefaults()
	if len(args) == 0 || isHelp(args[0]) || args[0] == "help" {
		fmt.Fprint(env.Stdout, usage())
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		return exitCode(env, c.run(ctx, env, args[1:]))
	}
	return exitCode(env, usagef("unknown command %q (run `meshctl help`)", args[0]))
}

func exitCode(env Env, err error) int {
	var usageErr usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errHelpShown):
		return ExitOK
	case errors.As(err, &usageErr):
		fmt.Fprintf(env.Stderr, "meshctl: %s\n", oneLine(err.Error()))
		return ExitUsage
	default:
		fmt.Fprintf(env.Stderr, "meshctl: %s\n", oneLine(err.Error()))
		return ExitFailure
	}
}

// oneLine keeps a failure to one line: servers' and libraries' messages
// may span several.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

func usage() string {
	var b strings.Builder
	b.WriteString("meshctl: look into cf-mesh and set route weights the Cloud Foundry way\n\nUsage: meshctl COMMAND [ARGS] [FLAGS]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-12s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun `meshctl COMMAND --help` for a command's flags. docs/meshctl.md has examples.\n")
	return b.String()
}

func (e Env) withDefaults() Env {
	if e.Stdout == nil {
		e.Stdout = io.Discard
	}
	if e.Stderr == nil {
		e.Stderr = io.Discard
	}
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	if e.Hostname == nil {
		e.Hostname = func() (string, error) { return "", errors.New("no hostname") }
	}
	if e.Now == nil {
		e.Now = func() time.Time { return time.Unix(0, 0) }
	}
	if e.HTTPClient == nil {
		e.HTTPClient = &http.Client{}
	}
	return e
}
