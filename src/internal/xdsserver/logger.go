package xdsserver

import (
	"encoding/json"
	"fmt"

	"code.cloudfoundry.org/lager/v3"
	"github.com/envoyproxy/go-control-plane/pkg/log"
)

// cacheLogger routes go-control-plane's messages into lager. Its info level
// reports routine watch bookkeeping, so it goes to debug.
//
// Decision (issue 8): debug and info messages are formatted only when a
// sink writes them (lazyMessage). The caches log every watch with the
// versions of every resource it tracks; formatting those eagerly, at info
// level where nothing is written, was 43 % of the pilot's CPU with 1,000
// proxies and 100,000 endpoints.
func cacheLogger(logger lager.Logger) log.Logger {
	l := logger.Session("cache")
	return log.LoggerFuncs{
		DebugFunc: func(f string, args ...any) { l.Debug("cache", lager.Data{"message": lazyMessage{f, args}}) },
		InfoFunc:  func(f string, args ...any) { l.Debug("cache", lager.Data{"message": lazyMessage{f, args}}) },
		WarnFunc:  func(f string, args ...any) { l.Info("cache-warning", lager.Data{"message": fmt.Sprintf(f, args...)}) },
		ErrorFunc: func(f string, args ...any) { l.Error("cache-error", fmt.Errorf(f, args...)) },
	}
}

// lazyMessage is a log message formatted when a sink encodes it. lager's
// sinks drop a line below their level before encoding it, and encode it
// during the logging call, while the arguments are still current.
type lazyMessage struct {
	format string
	args   []any
}

func (m lazyMessage) String() string { return fmt.Sprintf(m.format, m.args...) }

// MarshalJSON encodes the message as a JSON string.
func (m lazyMessage) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }
