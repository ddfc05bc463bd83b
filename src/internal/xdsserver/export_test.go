package xdsserver

// CompareWithProtoEqual makes s compare resources with proto.Equal, as it
// did before the digest memo, for BenchmarkUpdate's side by side.
func CompareWithProtoEqual(s *Server) { s.caches.memo.protoEqual = true }

// SharedSidecarEncodings is the number of messages the sidecars' caches
// share encodings of.
func SharedSidecarEncodings(s *Server) int { return s.nodes.encodings.size() }
