package envoyir

// AcceptsHost exposes Gateway host matching to the external tests.
var AcceptsHost = acceptsHost
