package xdsresources

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// anyMessage is a packed resource.
type anyMessage = *anypb.Any

// toAny packs a message deterministically: resources are compared by
// proto.Equal to decide what to push, and Any compares its bytes, so two
// packings of equal messages (maps included) must give equal bytes.
func toAny(m proto.Message) (*anypb.Any, error) {
	a := &anypb.Any{}
	if err := anypb.MarshalFrom(a, m, proto.MarshalOptions{Deterministic: true}); err != nil {
		return nil, err
	}
	return a, nil
}
