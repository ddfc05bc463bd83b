package routeregistry

// Decoder decodes payloads like DecodeRegistration and
// DecodeInternalRegistration, but lends the tags map and the URI list of
// its previous result to the next one, so the steady stream of
// re-registrations allocates less (the map is the largest allocation of a
// decode). A result is only valid until the Decoder's next call: keep a
// copy of what you need, as Table does of everything it keeps.
//
// A Decoder is not safe for concurrent use; natssubscriber keeps one per
// subscription goroutine. The zero value is ready to use.
type Decoder struct {
	spare spares
}

// DecodeRegistration is DecodeRegistration with reuse (see Decoder).
func (dec *Decoder) DecodeRegistration(data []byte) (Registration, error) {
	reg, err := decodeValidRegistration(data, &dec.spare)
	dec.reclaim(reg.Tags, reg.URIs)
	return reg, err
}

// DecodeInternalRegistration is DecodeInternalRegistration with reuse (see
// Decoder).
func (dec *Decoder) DecodeInternalRegistration(data []byte) (InternalRegistration, error) {
	reg, err := decodeInternal(data, &dec.spare)
	dec.reclaim(reg.Tags, reg.URIs)
	return reg, err
}

// reclaim keeps a result's map and list for the next decode. What a
// rejected payload used is lost, not reused: the result is empty then.
func (dec *Decoder) reclaim(tags map[string]string, uris []string) {
	if tags != nil {
		dec.spare.tags = tags
	}
	if uris != nil {
		dec.spare.list = uris
	}
}
