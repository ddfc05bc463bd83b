package xdsserver

import (
	"fmt"

	"code.cloudfoundry.org/lager/v3"
	"github.com/envoyproxy/go-control-plane/pkg/log"
)

// cacheLogger routes go-control-plane's messages into lager. Its info level
// reports routine watch bookkeeping, so it goes to debug.
func cacheLogger(logger lager.Logger) log.Logger {
	l := logger.Session("cache")
	return log.LoggerFuncs{
		DebugFunc: func(f string, args ...any) { l.Debug("cache", lager.Data{"message": fmt.Sprintf(f, args...)}) },
		InfoFunc:  func(f string, args ...any) { l.Debug("cache", lager.Data{"message": fmt.Sprintf(f, args...)}) },
		WarnFunc:  func(f string, args ...any) { l.Info("cache-warning", lager.Data{"message": fmt.Sprintf(f, args...)}) },
		ErrorFunc: func(f string, args ...any) { l.Error("cache-error", fmt.Errorf(f, args...)) },
	}
}
