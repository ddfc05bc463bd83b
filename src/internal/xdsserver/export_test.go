package xdsserver

// CompareWithProtoEqual makes s compare resources with proto.Equal, as it
// did before the digest memo, for BenchmarkUpdate's side by side.
func CompareWithProtoEqual(s *Server) { s.caches.memo.protoEqual = true }
