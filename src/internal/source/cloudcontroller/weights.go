package cloudcontroller

import "fmt"

// Cloud Controller's limits for a destination weight
// (cloud_controller_ng app/messages/route_update_destinations_message.rb).
const (
	MinWeight = 1
	MaxWeight = 100
	// WeightSum is what the weights of a weighted route must add up to.
	WeightSum = 100
)

// ValidateWeights checks a route's destination weights, in destination
// order, against Cloud Controller's rules: either no destination has a weight
// or all have one, each weight is in MinWeight..MaxWeight, and together they
// sum to WeightSum. The error names the first offending destination by index.
func ValidateWeights(weights []*int) error {
	weighted := -1
	unweighted := -1
	for i, w := range weights {
		if w == nil {
			if unweighted < 0 {
				unweighted = i
			}
			continue
		}
		if weighted < 0 {
			weighted = i
		}
		if *w < MinWeight || *w > MaxWeight {
			return fmt.Errorf("destinations[%d] has weight %d, must be between %d and %d", i, *w, MinWeight, MaxWeight)
		}
	}
	if weighted < 0 {
		return nil
	}
	if unweighted >= 0 {
		return fmt.Errorf("destinations[%d] has a weight but destinations[%d] has none: weights are all-or-none", weighted, unweighted)
	}
	sum := 0
	for _, w := range weights {
		sum += *w
	}
	if sum != WeightSum {
		return fmt.Errorf("weights sum to %d, must sum to %d", sum, WeightSum)
	}
	return nil
}
