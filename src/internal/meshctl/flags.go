package meshctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// errHelpShown ends a command whose --help was asked for: exit 0.
var errHelpShown = errors.New("help shown")

// flags is one command's flag set, with the flags every command shares.
type flags struct {
	*flag.FlagSet
	usage, notes string
	json         *bool
	timeout      *time.Duration
}

// newFlags starts a command's flags; usage is its synopsis line(s).
func newFlags(name, usage string) *flags {
	fs := flag.NewFlagSet("meshctl "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flags{FlagSet: fs, usage: usage}
}

// withTimeoutFlag adds --timeout, for commands that talk to a server.
func (f *flags) withTimeoutFlag() *flags {
	f.timeout = f.Duration("timeout", DefaultTimeout, "give up after this long")
	return f
}

// withNotes adds text --help prints after the flags.
func (f *flags) withNotes(notes string) *flags {
	f.notes = notes
	return f
}

// withJSON adds --json, for commands that print tables by default.
func (f *flags) withJSON() *flags {
	f.json = f.Bool("json", false, "print JSON for scripts instead of tables")
	return f
}

// jsonOutput reports whether --json was given.
func (f *flags) jsonOutput() bool { return f.json != nil && *f.json }

// parse parses args, with flags allowed before, between and after the
// positional arguments (`weights set ROUTE a=50 b=50 --dry-run`), and
// returns the positional ones. --help prints the usage and ends the
// command with errHelpShown.
func (f *flags) parse(env Env, args []string) ([]string, error) {
	var positional []string
	for {
		err := f.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, f.help())
			return nil, errHelpShown
		}
		if err != nil {
			return nil, usagef("%s: %v", f.Name(), err)
		}
		rest := f.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// help is the command's usage with every flag and its default.
func (f *flags) help() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\nFlags:\n", f.usage)
	f.VisitAll(func(fl *flag.Flag) {
		def := ""
		if fl.DefValue != "" && fl.DefValue != "false" && fl.DefValue != "[]" {
			def = fmt.Sprintf(" (default %s)", fl.DefValue)
		}
		fmt.Fprintf(&b, "  --%-26s %s%s\n", fl.Name, fl.Usage, def)
	})
	if f.notes != "" {
		b.WriteString("\n" + f.notes)
	}
	return b.String()
}

// bound limits the command by --timeout.
func (f *flags) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if f.timeout == nil || *f.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, *f.timeout)
}

// stringList is a repeatable flag that also takes comma-separated values.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*s = append(*s, part)
		}
	}
	return nil
}
